"""mldebt: find machine-learning technical debt in Python projects and notebooks."""

from __future__ import annotations

__version__ = "0.1.0"
