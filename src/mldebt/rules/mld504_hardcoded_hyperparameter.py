"""MLD504 hardcoded-hyperparameter: literal hyper-parameters beside a configuration system
(found by parse/detectors/configuration.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class HardcodedHyperparameter(FileRule):
    id = "MLD504"
    name = "hardcoded-hyperparameter"
