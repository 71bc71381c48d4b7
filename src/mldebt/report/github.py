"""GitHub Actions workflow commands: one annotation per finding, shown on the lines of the diff.

`::warning file=train.py,line=16,col=1,endLine=16,endColumn=30,title=MLD301 feedback-loop::message`.
Values are escaped as the Actions runner expects (`%`, CR, LF; also `:` and `,` in properties),
so a message with a newline or a path with a comma stays one annotation. Notebook findings
point at the line of the .ipynb file.
"""

from __future__ import annotations

import re

from mldebt.model import Finding, Report
from mldebt.report.text import format_location

_CONTROL = re.compile("[\x00-\x1f\x7f]")
_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def to_github(report: Report) -> str:
    lines = []
    for f in sorted(report.findings, key=Finding.sort_key):
        loc = f.location
        props = {"file": loc.path}
        if loc.raw_line is not None:
            props["line"] = str(loc.raw_line)
        else:
            props.update(line=str(loc.line), col=str(loc.column))
            if loc.end_line >= loc.line:
                props["endLine"] = str(loc.end_line)
                if loc.end_line == loc.line and loc.end_column > loc.column:
                    props["endColumn"] = str(loc.end_column)
        props["title"] = f"{f.rule} {f.name}"
        where = format_location(loc.path, loc.line, loc.column, loc.cell)
        body = [f"{where}: {f.rule} {f.message}"]
        body += [f"  -> {format_location(r.path, r.line, r.column, r.cell)}: {r.message}" for r in f.related]
        lines.append(f"::{_LEVEL.get(str(f.severity), 'warning')} {_props(props)}::{_data(chr(10).join(body))}")
    for e in sorted(report.errors):
        title = "mldebt analysed this file only in part" if e.partial else "mldebt could not analyse this file"
        lines.append(f"::warning {_props({'file': e.path, 'title': title})}::{_data(e.message)}")
    return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub("\ufffd", text)  # no terminal escapes from analysed code in the job log


def _props(props: dict[str, str]) -> str:
    return ",".join(f"{k}={_data(v).replace(':', '%3A').replace(',', '%2C')}" for k, v in props.items())
