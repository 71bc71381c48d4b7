"""MLD101 entangled-model-inputs: one model fit on data mixed from many separate sources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.rules.base import Hit, Rule, is_test_path


class EntangledModelInputs(Rule):
    id = "MLD101"
    name = "entangled-model-inputs"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"max-sources": (int, 4)}

    def check(self, built: Built) -> Iterator[Hit]:
        g = built.graph
        limit = max(2, int(self.options["max-sources"]))
        for model in g.nodes("model"):
            edges = g.in_edges(model, ["trains-on"])  # a glob or an unresolved read is one source each
            sources = sorted({e.source for e in edges})
            if len(sources) < limit:
                continue
            fit = min(s for e in edges for s in e.sites)
            if is_test_path(fit.path):
                continue
            names = [g.label(s) for s in sources]
            shown = ", ".join(f"`{n}`" for n in names[:6]) + (", ..." if len(names) > 6 else "")
            related = []
            for e in edges:
                where = str(e.attrs.get("read_at", ""))
                path, line, col = _split(where)
                related.append(Site(path, line, col, note=f"reads `{g.label(e.source)}`"))
            related = sorted(set(related))
            yield Hit(
                site=fit,
                message=(
                    f"{g.label(model)} is fit on data mixed from {len(sources)} separate sources ({shown}); "
                    "a change in any of them changes the whole model"
                ),
                related=tuple(related),
                key=f"{model}|{'|'.join(sources)}",
                edges=tuple((source, model, "trains-on") for source in sources),
            )


def _split(where: str) -> tuple[str, int, int]:
    path, line, col = where.rsplit(":", 2)
    return path, int(line), int(col)
