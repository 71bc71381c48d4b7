"""Errors the parse layer raises for input it cannot read."""

from __future__ import annotations


class FileSkipped(Exception):
    """Bad input: the file is reported in the report's errors with this message."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line  # where a syntax error is, when known
