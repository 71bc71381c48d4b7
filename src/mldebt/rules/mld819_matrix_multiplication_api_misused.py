"""MLD819 matrix-multiplication-api-misused: `np.dot` on two provably 2-D arrays (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class MatrixMultiplicationApiMisused(FileRule):
    id = "MLD819"
    name = "matrix-multiplication-api-misused"
