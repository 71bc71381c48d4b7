"""MLD820 broadcasting-feature-not-used: a tile/repeat along a fresh singleton axis feeding element-wise arithmetic (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class BroadcastingFeatureNotUsed(FileRule):
    id = "MLD820"
    name = "broadcasting-feature-not-used"
