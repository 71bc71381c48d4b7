"""MLD824 hyperparameters-not-set: estimators and optimizers with every key hyper-parameter left at its default (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class HyperparametersNotSet(FileRule):
    id = "MLD824"
    name = "hyperparameters-not-set"
