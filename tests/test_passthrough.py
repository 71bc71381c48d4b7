"""`*args` / `**kwargs` passed on (`read(*args, **kwargs)`): a callee's parameter is bound to
what the wrapper's callers pass, by position or by keyword."""

from __future__ import annotations

from mldebt.graph.project import bound_argument, bound_item, bound_lineage
from mldebt.parse.facts import Call, Function, Span, Value

SPAN = Span(1, 1, 1, 2)
READ = Function("read", ("path", "sep"), (), SPAN, frozenset())
WRAP = Function("wrap", ("args", "kwargs"), (), SPAN, frozenset(), star="args", dstar="kwargs")
PASS_ON = Call(
    "wrap",
    "read",
    (Value("splat", "args"),),
    (("**", Value("splat", "kwargs")),),
    (frozenset({"param:args"}),),
    (("**", frozenset({"param:kwargs"})),),
    SPAN,
)


def call(args: tuple[Value, ...] = (), kwargs: tuple[tuple[str, Value], ...] = ()) -> Call:
    lin = tuple(frozenset({f"io:{i}"}) for i in range(len(args)))
    kw_lin = tuple((k, frozenset({f"io:{k}"})) for k, _ in kwargs)
    return Call("<module>", "wrap", args, kwargs, lin, kw_lin, SPAN)


def test_a_parameter_behind_a_splat_is_an_item_of_the_wrappers_parameter() -> None:
    assert bound_argument(READ, PASS_ON, "path") == Value("param", "args", keys=("0", "path"))
    assert bound_argument(READ, PASS_ON, "sep") == Value("param", "args", keys=("1", "sep"))


def test_the_wrappers_callers_fill_the_item_by_position_or_by_keyword() -> None:
    by_position = call((Value("str", "a.csv"), Value("str", ";")))
    by_keyword = call(kwargs=(("path", Value("str", "b.csv")),))
    assert bound_item(WRAP, by_position, "args", ("0", "path")) == Value("str", "a.csv")
    assert bound_item(WRAP, by_position, "args", ("1", "sep")) == Value("str", ";")
    assert bound_item(WRAP, by_keyword, "args", ("0", "path")) == Value("str", "b.csv")
    assert bound_item(WRAP, call(), "args", ("0", "path")) is None


def test_lineage_of_a_splat_is_every_argument_it_gathers() -> None:
    both = call((Value("str", "a.csv"),), (("path", Value("str", "b.csv")),))
    assert bound_lineage(WRAP, both, "args") == frozenset({"io:0"})
    assert bound_lineage(WRAP, both, "kwargs") == frozenset({"io:path"})
    assert bound_lineage(READ, PASS_ON, "path") == frozenset({"param:args"})
