"""Errors the parse layer raises for input it cannot read."""

from __future__ import annotations


class FileSkipped(Exception):
    """Bad input: the file is reported in the report's errors with this message."""
