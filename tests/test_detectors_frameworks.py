"""The scikit-learn / PyTorch / TensorFlow detectors (MLD823-MLD830) on small snippets: type
awareness, flow of module modes, and the look-alikes each rule must leave alone."""

from __future__ import annotations

import ast
import textwrap

from mldebt.parse.detectors.context import FileContext
from mldebt.rules import (
    mld823_scaling_missing,
    mld824_hyperparameters_not_set,
    mld825_memory_not_freed,
    mld826_train_eval_mode_not_toggled,
    mld827_forward_called_directly,
    mld828_gradients_not_cleared,
    mld829_tensorarray_not_used,
    mld830_threshold_dependent_validation,
)

DETECTORS = (
    mld823_scaling_missing.detect,
    mld824_hyperparameters_not_set.detect,
    mld825_memory_not_freed.detect,
    mld826_train_eval_mode_not_toggled.detect,
    mld827_forward_called_directly.detect,
    mld828_gradients_not_cleared.detect,
    mld829_tensorarray_not_used.detect,
    mld830_threshold_dependent_validation.detect,
)


def _found(src: str, notebook: bool = False) -> list[tuple[int, str]]:
    text = textwrap.dedent(src).lstrip("\n")
    ctx = FileContext("a.ipynb" if notebook else "a.py", "a", text, ast.parse(text), notebook=notebook)
    return sorted((s.span.line, s.rule) for detect in DETECTORS for s in detect(ctx))


def _messages(src: str) -> list[str]:
    text = textwrap.dedent(src).lstrip("\n")
    ctx = FileContext("a.py", "a", text, ast.parse(text))
    return [s.message for detect in DETECTORS for s in detect(ctx)]


def test_no_library_no_finding() -> None:
    src = """
    class Net:
        def forward(self, x):
            return x
    Net().forward(1)
    total = 0
    for loss in [1, 2]:
        loss.backward()
        optimizer.step()
        total += loss
    """
    assert _found(src) == []


def test_forward_only_on_known_modules() -> None:
    src = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc.forward(x) + super().forward(x) + nn.Module.forward(self, x)

    net = Net().to("cpu")
    net.forward(1)
    def f(model, rref):
        return model.forward(1), rref.remote().forward(1)
    """
    assert _found(src) == [(10, "MLD827"), (13, "MLD827")]


def test_gradient_accumulation_with_conditional_zero_grad_is_clean() -> None:
    src = """
    import torch

    def train(model, loader, optimizer):
        for i, x in enumerate(loader):
            model(x).sum().backward()
            if i % 4 == 0:
                optimizer.step()
                optimizer.zero_grad()

    def broken(model, loader, optimizer, scheduler):
        for x in loader:
            model(x).sum().backward()
            optimizer.step()
            scheduler.step()
    """
    assert _found(src) == [(12, "MLD828")]


def test_innermost_loop_is_reported_once() -> None:
    src = """
    import torch

    def train(model, loader, optimizer):
        for epoch in range(3):
            for x in loader:
                model(x).sum().backward()
                optimizer.step()
    """
    assert _found(src) == [(6, "MLD828")]


def test_scheduler_step_is_not_an_optimizer_step() -> None:
    src = """
    import torch

    def train(model, loader, lr_scheduler):
        for x in loader:
            model(x).sum().backward()
            lr_scheduler.step()
    """
    assert _found(src) == []


def test_loss_accumulation_needs_backward_history() -> None:
    src = """
    import torch

    def train(model, loader, opt, crit):
        total, seen = 0, 0
        for x, y in loader:
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            total += loss
            seen += x
        return total
    """
    assert _found(src) == [(10, "MLD825")]


def test_mode_flow_through_loop_back_edge_and_helpers() -> None:
    src = """
    import torch
    from torch import nn

    def validate(model):
        model.eval()

    def fit(model, data, opt):
        for epoch in range(3):
            for x in data:
                opt.zero_grad()
                model(x).sum().backward()
                opt.step()
            validate(model)
    """
    # `model` is a parameter: its make is unknown, so dropout is assumed
    assert _found(src) == [(11, "MLD826")]


def test_mode_of_a_module_without_dropout_does_not_matter() -> None:
    src = """
    import torch
    from torch import nn

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x)

    model = Small()
    with torch.no_grad():
        model(torch.ones(1, 2))
    big = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))
    with torch.no_grad():
        big(torch.ones(1, 2))
    """
    assert _found(src) == [(17, "MLD826")]


def test_branches_join_and_eval_in_one_branch_is_not_certain_training() -> None:
    src = """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))
    if True:
        model.eval()
    with torch.no_grad():
        model(torch.ones(1, 2))
    """
    assert _found(src) == []


def test_scaling_follows_the_data_to_its_reader() -> None:
    src = """
    import pandas as pd
    from sklearn.svm import SVC
    from sklearn.preprocessing import StandardScaler

    df = pd.read_csv("a.csv")
    X = df.drop(columns=["y"])
    SVC(C=1.0).fit(X, df["y"])
    X = StandardScaler().fit_transform(X)
    SVC(C=1.0).fit(X, df["y"])
    """
    assert _found(src) == [(7, "MLD823")]


def test_scaling_gives_up_on_data_passed_to_project_helpers() -> None:
    src = """
    import pandas as pd
    from sklearn.svm import SVC
    from utils import normalise_inplace

    df = pd.read_csv("a.csv")
    X = df.drop(columns=["y"])
    normalise_inplace(X)
    SVC(C=1.0).fit(X, df["y"])
    """
    assert _found(src) == []


def test_hyperparameters_never_overlap_hardcoded_literals() -> None:
    src = """
    from sklearn.ensemble import RandomForestClassifier
    a = RandomForestClassifier()
    b = RandomForestClassifier(random_state=0, n_jobs=4)
    c = RandomForestClassifier(max_depth=3)
    d = RandomForestClassifier(class_weight="balanced")
    e = GridSearchCV(make_pipeline(RandomForestClassifier()), {"randomforestclassifier__max_depth": [2, 4]})
    pipe = make_pipeline(RandomForestClassifier())
    search = RandomizedSearchCV(estimator=pipe, param_distributions={})
    """
    assert _found(src) == [(2, "MLD824"), (3, "MLD824")]


def test_threshold_dependent_validation_once_per_file() -> None:
    src = """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    clf = LogisticRegression(C=1.0).fit([[0], [1]], [0, 1])
    pred = clf.predict([[0]])
    f1_score([0], pred)
    accuracy_score([0], pred)
    accuracy_score([0], clf.predict_proba([[0]])[:, 1] > 0.3)
    """
    assert _found(src) == [(6, "MLD830")]
    assert _found(textwrap.dedent(src) + "\nfrom sklearn.metrics import roc_auc_score\n") == []


def test_tensorarray_only_inside_tf_function() -> None:
    src = """
    import tensorflow as tf

    def eager(xs):
        out = []
        for x in xs:
            out.append(x)
        return tf.stack(out)

    @tf.function
    def graph(xs):
        out = []
        for x in xs:
            out.append(x)
        return tf.stack(out)
    """
    assert _found(src) == [(13, "MLD829")]


def test_notebook_messages_leave_lines_to_the_evidence() -> None:
    src = """
    import torch
    for x in []:
        x.sum().backward()
        optimizer.step()
    """
    assert _found(src, notebook=True) == [(3, "MLD828")]
    assert "line" in _messages(src)[0]
    text = textwrap.dedent(src).lstrip("\n")
    ctx = FileContext("a.ipynb", "a", text, ast.parse(text), notebook=True)
    (smell,) = [s for d in DETECTORS for s in d(ctx)]
    assert "line" not in smell.message


def test_detectors_survive_odd_code() -> None:
    src = """
    import torch, tensorflow as tf, sklearn
    for (a, *b) in []:
        with torch.no_grad(), open("f") as (c, d):
            pass
        match a:
            case 1:
                (lambda: 0)().backward()
            case _:
                pass
    try:
        x = 1
    except* ValueError:
        pass
    @tf.function()
    async def f(*args, **kw):
        async for q in args:
            q.append(1)
    model = torch.nn.Linear(1, 1)
    model.train(mode=False)
    model.forward
    """
    _found(src)


def test_types_know_torchvision_models_and_annotated_optimizers() -> None:
    src = """
    import torch
    import torchvision

    def fit(model, optimizer: torch.optim.Optimizer):
        return optimizer

    net = torchvision.models.resnet18(weights=None)
    weights = torchvision.models.get_model_weights("resnet18")
    """
    text = textwrap.dedent(src).lstrip("\n")
    tree = ast.parse(text)
    ctx = FileContext("a.py", "a", text, tree)
    names = {n.id: n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert ctx.types.kind_of(names["optimizer"]) == "optimizer"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    kinds = {ctx.source(c.func): ctx.types.kind_of(c) for c in calls}
    assert kinds["torchvision.models.resnet18"] == "torch-module"
    assert kinds["torchvision.models.get_model_weights"] is None
