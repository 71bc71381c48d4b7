"""MLD506 scattered-env-vars: environment variables read directly in many modules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.parse.facts import KeyUse
from mldebt.rules.base import Hit, Rule, is_test_path
from mldebt.rules.mld501_undefined_config_key import site

# Variables the platform or a launcher sets (torchrun, SLURM, CI, the shell): reading them where
# they are needed is not configuration.
_RUNTIME = frozenset(
    {
        "RANK",
        "LOCAL_RANK",
        "WORLD_SIZE",
        "LOCAL_WORLD_SIZE",
        "GROUP_RANK",
        "NODE_RANK",
        "MASTER_ADDR",
        "MASTER_PORT",
        "CUDA_VISIBLE_DEVICES",
        "HOME",
        "USER",
        "USERNAME",
        "PATH",
        "PWD",
        "TMPDIR",
        "TEMP",
        "TMP",
        "SHELL",
        "TERM",
        "DISPLAY",
        "LANG",
        "HOSTNAME",
        "PYTHONPATH",
        "CI",
        "OMP_NUM_THREADS",
        "TF_CPP_MIN_LOG_LEVEL",
        "KMP_DUPLICATE_LIB_OK",
        "PYTORCH_CUDA_ALLOC_CONF",
        "TOKENIZERS_PARALLELISM",
    }
)
_RUNTIME_PREFIXES = ("SLURM_", "GITHUB_", "COLAB_", "KAGGLE_", "JUPYTER", "PBS_", "SM_", "AZUREML_", "TPU_", "XRT_")
# Credentials and the settings of third-party services belong in the environment (12-factor).
_SERVICE_PREFIXES = (
    "COMET_",
    "WANDB_",
    "MLFLOW_",
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "GCP_",
    "HF_",
    "HUGGINGFACE_",
    "NEPTUNE_",
    "CLEARML_",
    "OPENAI_",
    "DATABRICKS_",
)
_SECRET = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
_SETTINGS_NAMES = ("config", "settings", "env", "conf", "constants", "params")


def is_runtime(var: str) -> bool:
    upper = var.upper()
    return (
        var in _RUNTIME
        or var.startswith(_RUNTIME_PREFIXES)
        or upper.startswith(_SERVICE_PREFIXES)
        or any(s in upper for s in _SECRET)
    )


class ScatteredEnvVars(Rule):
    id = "MLD506"
    name = "scattered-env-vars"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"max-modules": (int, 3)}

    def check(self, built: Built) -> Iterator[Hit]:
        limit = max(1, int(self.options["max-modules"]))
        reads: dict[str, list[KeyUse]] = defaultdict(list)
        for path, facts in built.project.files.items():
            if is_test_path(path):
                continue
            for u in facts.key_uses:
                if u.source == "env" and u.op == "read" and not is_runtime(u.key[0]):
                    reads[path].append(u)
        if len(reads) <= limit:
            return

        def centrality(path: str) -> tuple[int, int, str]:
            stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
            return (len({u.key[0] for u in reads[path]}), stem in _SETTINGS_NAMES, path)

        central = max(reads, key=centrality)
        central_vars = len({u.key[0] for u in reads[central]})
        first_central = min(reads[central], key=lambda u: (u.span.line, u.span.column))
        for path in sorted(reads):
            if path == central:
                continue
            uses = sorted(reads[path], key=lambda u: (u.span.line, u.span.column))
            names = sorted({u.key[0] for u in uses})
            shown = ", ".join(f"`{n}`" for n in names[:5]) + (", ..." if len(names) > 5 else "")
            yield Hit(
                site(path, uses[0].span),
                f"reads environment variable{'s' if len(names) > 1 else ''} {shown} directly; {len(reads)} "
                f"modules read the environment on their own (the most, {central_vars}, in `{central}`)",
                related=(site(central, first_central.span, f"`{central}` reads the environment too"),),
                key="|".join(names),
            )
