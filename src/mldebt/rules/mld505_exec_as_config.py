"""MLD505 exec-as-config: a file's contents executed as configuration (found by
parse/detectors/configuration.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class ExecAsConfig(FileRule):
    id = "MLD505"
    name = "exec-as-config"
