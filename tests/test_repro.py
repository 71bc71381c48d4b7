"""Reproducibility rules: MLD702-MLD705 detectors on small snippets, and the requirements parser."""

from __future__ import annotations

import ast
import textwrap

import pytest

from mldebt.discover import classify
from mldebt.parse.detectors.context import FileContext
from mldebt.parse.requirements import (
    classify_spec,
    conda_smells,
    is_conda_env,
    requirement_smells,
    requirements_facts,
)
from mldebt.rules import mld702_unseeded_randomness, mld703_missing_random_state, mld704_nondeterministic_algorithm


def smells(code: str, rel: str = "train.py") -> list[tuple[str, int, str]]:
    text = textwrap.dedent(code)
    ctx = FileContext(rel, rel.removesuffix(".py"), text, ast.parse(text))
    detects = (
        mld703_missing_random_state.detect,
        mld702_unseeded_randomness.detect,
        mld704_nondeterministic_algorithm.detect,
    )
    return [(s.rule, s.span.line, dict(s.data).get("seeds-elsewhere", "")) for d in detects for s in d(ctx)]


# ------------------------------------------------------------------------------ MLD702


def test_one_finding_per_program_at_first_unseeded_draw() -> None:
    found = smells(
        """
        import numpy as np
        from sklearn.linear_model import LinearRegression
        X = np.random.rand(10, 2)
        y = np.random.rand(10)
        LinearRegression().fit(X, y)
        """
    )
    assert found == [("MLD702", 4, "")]


def test_library_module_and_tests_are_not_programs() -> None:
    lib = """
        import numpy as np
        def noise(n):
            return np.random.rand(n)
        def fit(model, X):
            model.fit(X + noise(len(X)), X)
        """
    assert smells(lib) == []
    script = """
        import numpy as np
        from sklearn.linear_model import LinearRegression
        X = np.random.rand(10, 2)
        LinearRegression().fit(X, X[:, 0])
        """
    assert smells(script, "tests/test_fit.py") == []


def test_seed_of_another_library_does_not_count() -> None:
    found = smells(
        """
        import random
        import torch
        torch.manual_seed(0)
        net = torch.nn.Linear(2, 1)
        idx = random.sample(range(10), 3)
        net(torch.ones(len(idx), 2)).sum().backward()
        """
    )
    assert found == [("MLD702", 6, "")]


@pytest.mark.parametrize(
    "seed",
    ["seed_everything(1)", "set_seed(1)", "utils.init_seeds(1)", "np.random.seed(1)"],
)
def test_seeding_calls(seed: str) -> None:
    code = f"""
        import numpy as np
        import utils
        from lightning import seed_everything
        from transformers import set_seed
        from sklearn.linear_model import LinearRegression
        {seed}
        X = np.random.rand(10, 2)
        LinearRegression().fit(X, X[:, 0])
        """
    assert [f for f in smells(code) if f[0] == "MLD702"] == []


def test_plot_noise_that_reaches_no_fit_is_not_reported() -> None:
    found = smells(
        """
        import numpy as np
        from sklearn.linear_model import LinearRegression
        xs = np.linspace(0, 1, 10)
        ys = xs + np.random.randn(10)
        print(ys)
        LinearRegression().fit(xs[:, None], xs * 2)
        """
    )
    assert found == []


# ------------------------------------------------------------------------------ MLD703


def test_random_state_missing_and_given() -> None:
    found = smells(
        """
        from sklearn.model_selection import KFold, train_test_split
        from sklearn.ensemble import RandomForestClassifier
        a = train_test_split([1, 2, 3], random_state=0)
        b = train_test_split([1, 2, 3])
        c = KFold(3)
        d = KFold(3, shuffle=True)
        e = RandomForestClassifier(**{"random_state": 0})
        """
    )
    assert found == [("MLD703", 5, "yes"), ("MLD703", 7, "yes")]


def test_numpy_seed_silences_random_state() -> None:
    found = smells(
        """
        import numpy as np
        from sklearn.cluster import KMeans
        np.random.seed(0)
        k = KMeans(3)
        """
    )
    assert found == []


def test_no_seed_anywhere_is_marked_for_the_option() -> None:
    found = smells(
        """
        from sklearn.cluster import KMeans
        k = KMeans(3)
        """
    )
    assert found == [("MLD703", 3, "no")]


def test_never_the_same_line_for_mld702_and_mld703() -> None:
    found = smells(
        """
        import numpy as np
        from sklearn.model_selection import train_test_split
        from sklearn.linear_model import LinearRegression
        X_tr, X_te = train_test_split(np.random.rand(10, 2), random_state=None)
        parts = train_test_split(np.random.rand(10, 2), test_size=0.5)
        LinearRegression().fit(X_tr, X_tr[:, 0])
        """
    )
    lines = [line for _, line, _ in found]
    assert len(lines) == len(set(lines))
    assert ("MLD703", 6, "no") in found


# ------------------------------------------------------------------------------ MLD704


def test_seeded_gpu_training_without_determinism() -> None:
    code = """
        import torch
        torch.manual_seed(0)
        net = torch.nn.Linear(2, 1).cuda()
        net(torch.ones(3, 2).cuda()).sum().backward()
        """
    assert [f[:2] for f in smells(code)] == [("MLD704", 3)]
    fixed = code.replace("torch.manual_seed(0)", "torch.manual_seed(0); torch.use_deterministic_algorithms(True)")
    assert smells(fixed) == []
    off = code.replace("torch.manual_seed(0)", "torch.manual_seed(0); torch.use_deterministic_algorithms(False)")
    assert [f[:2] for f in smells(off)] == [("MLD704", 3)]


def test_detector_survives_odd_code() -> None:
    for code in [
        "import numpy as np\nnp.random.seed()\n",
        "import torch\nx = torch.randn(*shape)\n(lambda: torch.rand(2))()\n",
        "import numpy as np\nf = np.random\nf.rand(3)\nclass A:\n    np.random.shuffle([])\n",
        "from sklearn.model_selection import *\ntrain_test_split()\n",
        "import torch\nif __name__ == '__main__':\n    getattr(torch, 'manual_seed')(0)\n    x.backward()\n",
    ]:
        smells(code)


# ------------------------------------------------------------------------------ MLD705


@pytest.mark.parametrize(
    ("spec", "status"),
    [
        ("", "none"),
        ("!=1.0", "none"),
        (">=1.0", "lower"),
        ("> 1.0", "lower"),
        ("==1.0", "pinned"),
        ("==1.*", "pinned"),
        ("~=1.4", "pinned"),
        (">=1,<2", "pinned"),
        ("<=2", "pinned"),
        ("@ https://x/y.whl", "pinned"),
        ("(>=1.0)", "lower"),
    ],
)
def test_classify_spec(spec: str, status: str) -> None:
    assert classify_spec(spec) == status


def test_requirements_lines() -> None:
    text = "torch\nnumpy==1.26 \\\n  ; python_version>'3'\npandas>=2  # comment\nrequests\n-e .\n"
    found = [(s.span.line, s.key, dict(s.data)["spec"]) for s in requirement_smells(text)]
    assert found == [(1, "torch", "none"), (4, "pandas", "lower")]
    assert requirement_smells("-c constraints.txt\ntorch\n") == ()
    assert requirement_smells("torch --hash=sha256:abc\n") == ()


def test_requirements_discovery_and_docs_files() -> None:
    assert classify("requirements.txt") == "requirements"
    assert classify("requirements-dev.txt") == "requirements"
    assert classify("requirements/base.txt") == "requirements"
    assert classify("notes.txt") is None
    assert classify("requirements.in") is None
    assert requirements_facts("requirements-docs.txt", "torch\n").smells == ()


def test_conda_environment() -> None:
    assert is_conda_env("envs/environment-gpu.yml") and is_conda_env("conda.yaml")
    assert not is_conda_env("params.yaml")
    text = textwrap.dedent(
        """\
        name: x
        dependencies:
          - numpy=1.26
          - conda-forge::pytorch
          - scikit-learn 1.4.*
          - pandas >=2
          - xgboost[version='>=2,<3']
          - pip:
            - transformers
            - lightgbm==4.0
          - scipy
        other:
          - torch
        """
    )
    found = [(s.span.line, s.key, dict(s.data)["spec"]) for s in conda_smells(text)]
    assert found == [(4, "torch", "none"), (6, "pandas", "lower"), (9, "transformers", "none"), (11, "scipy", "none")]
