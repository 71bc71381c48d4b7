"""Moved: configuration keys in code to `config_keys.py`, MLD504 and MLD505's detectors to their
rule modules. This module stays only for external.py's import of `_function_of` (now
`context.function_of`); delete it once that import names `context`."""

from __future__ import annotations

from mldebt.parse.detectors.context import function_of as _function_of

__all__ = ["_function_of"]
