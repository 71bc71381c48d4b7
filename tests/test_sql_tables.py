"""SQL: a query's text resolves to the tables it reads, shared by the graph and MLD202."""

from __future__ import annotations

import textwrap

import pytest

from mldebt.graph.build import build
from mldebt.parse.python import python_facts
from mldebt.parse.sql import is_query, query_tables
from mldebt.rules.mld401_pipeline_jungle import PipelineJungle


@pytest.mark.parametrize(
    ("query", "tables"),
    [
        ("SELECT * FROM payments_today", ("payments_today",)),
        ("select a.x from sales.orders a join `crm`.`users` u on a.u = u.id", ("sales.orders", "crm.users")),
        ('SELECT * FROM [dbo].[orders] o LEFT JOIN "Items" i ON 1=1', ("dbo.orders", "Items")),
        (
            "WITH recent AS (SELECT * FROM events WHERE ds > 1) SELECT * FROM recent JOIN users USING (id)",
            ("events", "users"),
        ),
        ("SELECT extract(year FROM ts), trim(both FROM name) FROM t WHERE id IN (SELECT id FROM ids)", ("t", "ids")),
        ("SELECT 1 FROM dual", ()),
    ],
)
def test_query_tables(query: str, tables: tuple[str, ...]) -> None:
    assert query_tables(query) == tables


def test_is_query() -> None:
    assert is_query("  select 1") and is_query("WITH a AS (SELECT 1) SELECT * FROM a")
    assert not is_query("fraud_scores") and not is_query("selected_rows")


def py(rel: str, src: str):  # type: ignore[no-untyped-def]
    module = rel.removesuffix(".py").replace("/", ".")
    return python_facts(rel, textwrap.dedent(src), module)


def test_a_query_reads_the_tables_that_to_sql_writes() -> None:
    built = build(
        [
            py(
                "load.py",
                """
                import pandas as pd
                TABLE = "staging_orders"
                pd.read_csv("exports/orders.csv").to_sql(TABLE, "sqlite:///w.db")
                """,
            ),
            py(
                "features.py",
                """
                import pandas as pd
                q = "SELECT o.*, c.segment FROM staging_orders o JOIN customers c ON o.cid = c.id"
                df = pd.read_sql(q, "sqlite:///w.db")
                df.to_sql("order_features", "sqlite:///w.db", if_exists="replace")
                """,
            ),
            py(
                "train.py",
                """
                import pandas as pd
                df = pd.read_sql_table("order_features", "sqlite:///w.db")
                df.to_parquet("data/train.parquet")
                """,
            ),
        ]
    )
    g = built.graph
    assert {e.target for e in g.out_edges("artifact:staging_orders", ["reads"])} == {"function:features.py::<module>"}
    assert "artifact:customers" in g
    assert not [n for n in g.nodes("artifact") if "SELECT" in n]
    derives = {(e.source, e.target) for e in g.in_edges("artifact:order_features", ["derives"])}
    assert derives == {
        ("artifact:staging_orders", "artifact:order_features"),
        ("artifact:customers", "artifact:order_features"),
    }
    hits = list(PipelineJungle({"min-steps": 3}).check(built))
    assert [(h.site.path, h.site.line) for h in hits] == [("train.py", 3)]
