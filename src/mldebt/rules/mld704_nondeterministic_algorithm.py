"""MLD704 nondeterministic-algorithm: a seeded training program that leaves nondeterministic
GPU kernels on (found by parse/detectors/repro.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class NondeterministicAlgorithm(FileRule):
    id = "MLD704"
    name = "nondeterministic-algorithm"
