"""MLD704 nondeterministic-algorithm: a seeded training program that leaves nondeterministic
GPU kernels on."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.repro import (
    ALL,
    TF,
    TORCH,
    Scan,
    is_program,
    scan_of,
    seeded,
)
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class NondeterministicAlgorithm(FileRule):
    id = "MLD704"
    name = "nondeterministic-algorithm"


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """Seeded training with nondeterministic kernels left on."""
    scan = scan_of(ctx)
    if scan is None or not is_program(ctx, scan):
        return
    yield from _nondeterministic(ctx, scan, seeded(scan))


def _nondeterministic(ctx: FileContext, scan: Scan, seeded: set[str]) -> Iterator[Smell]:
    if scan.opaque_seed:
        return  # a project `set_seed` we cannot see may switch determinism on as well
    torch_seeds = [c for c, lib in scan.seeds if lib in (TORCH, ALL)]
    if scan.torch_train and torch_seeds and "cuda" in ctx.text:  # on the CPU, kernels are deterministic
        train = scan.torch_train[0]
        if scan.benchmark is not None and not _uses_deterministic_algorithms(ctx):
            yield ctx.smell(
                "MLD704",
                scan.benchmark,
                "`cudnn.benchmark = True` picks convolution algorithms by timing them, so a program that "
                f"seeds PyTorch (`{ctx.source(torch_seeds[0])}`, line {torch_seeds[0].lineno}) still trains "
                "differently run to run",
                key="torch-benchmark",
                related=((train, f"trains: `{ctx.source(train)}`"),),
            )
        elif not scan.deterministic and scan.benchmark is None:
            seed = torch_seeds[0]
            yield ctx.smell(
                "MLD704",
                seed,
                f"`{ctx.source(seed)}` seeds PyTorch, but the program trains (`{ctx.source(train)}`, line "
                f"{train.lineno}) without deterministic algorithms: CUDA and cuDNN kernels still vary run to run",
                key="torch",
                related=((train, f"trains: `{ctx.source(train)}`"),),
            )
    tf_seeds = [c for c, lib in scan.seeds if lib in (TF, ALL)]
    if scan.keras_fit and tf_seeds and not scan.tf_deterministic and "gpu" in ctx.text.lower():
        seed, fit = tf_seeds[0], scan.keras_fit[0]
        yield ctx.smell(
            "MLD704",
            seed,
            f"`{ctx.source(seed)}` seeds TensorFlow, but the program trains (`{ctx.source(fit)}`, line "
            f"{fit.lineno}) without `enable_op_determinism()`: GPU kernels still vary run to run",
            key="tensorflow",
            related=((fit, f"trains: `{ctx.source(fit)}`"),),
        )


def _uses_deterministic_algorithms(ctx: FileContext) -> bool:
    return "use_deterministic_algorithms" in ctx.text
