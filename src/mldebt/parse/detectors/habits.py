"""Detectors of this area (see parse/detectors/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import KeyUse, Smell

DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse]], ...] = ()
