"""MLD826 train-eval-mode-not-toggled: torch modules evaluated in training mode or trained in evaluation mode (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class TrainEvalModeNotToggled(FileRule):
    id = "MLD826"
    name = "train-eval-mode-not-toggled"
