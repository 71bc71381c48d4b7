"""Frozen, picklable facts: everything the graph phase knows about one file.

No CST node leaves the parse layer. Values that name artifacts stay symbolic (`Value`) where
they depend on other files (imported constants, config keys, function parameters); the graph
phase resolves them with the whole project in view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Lineage tokens (`Lineage` members) say where a value's data came from, inside one function:
#   "io:N"        the result of the file's N-th IO fact (a read)
#   "param:NAME"  a parameter of the enclosing function
#   "call:K"      the return value of the file's K-th Call fact (a project function, resolved later)
#   "call:K#E"    element E of that return value: a dict key (`data["users"]`) or `#i` for the i-th
#                 item of a tuple (`train, users = load()`); the whole value where the callee's
#                 `Function.elements` does not name E
#   "pred:VAR"    the output of VAR.predict*/VAR(...) where VAR is a model of the same scope
#   "model:VAR"   the model object VAR itself (for save/dump)
Lineage = frozenset[str]


@dataclass(frozen=True, slots=True)
class Span:
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, one past the end


@dataclass(frozen=True, slots=True)
class Value:
    """A symbolic value, as far as one file can tell.

    kind:
      str      text is the literal
      num      text is the literal number
      join     parts joined by `text` ("/" for path joins, "" for concatenation)
      ref      text is a dotted name to resolve: a qualified import ("pkg.paths.DATA")
      param    text is the enclosing function's parameter name
      config   parts[0] is the config file's Value; keys the key path
      argparse text is the option's dest; parts[0] the default if any
      env      text is the variable name; parts[0] the default if any
      argv     text is the index in sys.argv (positional arguments launchers pass)
      ret      the value returned by the file's Call fact number `text` (a project function)
      argparse-ns  the namespace `parse_args()` returns
      format   `TEMPLATE.format(...)` of a template from another module: parts[0] the template,
               then the arguments; keys their keywords ("" for positional ones)
      handle   an open file: text is the index of the IO fact of its open(), parts[0] its path
      unknown  nothing known; text may hold a hint
    """

    kind: str
    text: str = ""
    parts: tuple[Value, ...] = ()
    keys: tuple[str, ...] = ()


UNKNOWN = Value("unknown")


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # absolute dotted module, relative imports made absolute
    name: str | None  # imported name for `from m import name`
    alias: str  # the local name bound
    line: int


@dataclass(frozen=True, slots=True)
class Function:
    qualname: str  # "<module>" for module-level code, "f", "Class.method", "f.<locals>.g" ...
    params: tuple[str, ...]
    defaults: tuple[tuple[str, Value], ...]
    span: Span
    returns: Lineage  # lineage of returned values
    is_entry: bool = False  # top-level code of a module (where a script starts)
    value: Value = UNKNOWN  # what it returns, when that is a config mapping, a namespace or a path
    # when every return gives a dict with literal keys or a tuple: each element's lineage
    # (key, or "#i" for the i-th item), for callers that use one element (`call:K#E` tokens)
    elements: tuple[tuple[str, Lineage], ...] = ()
    # the `*args` and `**kwargs` parameters' names, "" when there is none: a call passing them on
    # (`read(*args, **kwargs)`) binds the callee's parameters to what this function's callers pass
    star: str = ""
    dstar: str = ""


def call_token(token: str) -> tuple[int, str] | None:
    """`call:K` -> (K, ""); `call:K#E` -> (K, E); None for any other token."""
    kind, _, rest = token.partition(":")
    index, _, element = rest.partition("#")
    return (int(index), element) if kind == "call" and index.isdigit() else None


@dataclass(frozen=True, slots=True)
class IO:
    """A read or write of data, a model file or a config file."""

    op: str  # "read" | "write"
    kind: str  # "data" | "model" | "config"
    api: str  # qualified API ("pandas.read_csv", "open", "*.to_csv")
    target: Value  # the path / URL / table / hub id
    function: str  # enclosing Function.qualname
    span: Span
    lineage: Lineage = frozenset()  # for writes: where the written data came from
    format: str = ""  # "url" | "table" | "hub" | "" (file)
    append: bool = False  # a write that appends (mode "a") rather than replaces
    # a write only when the target does not exist yet (`if not p.exists(): download to p`): it
    # never replaces what is there, and the script that does it needs nobody else's copy
    if_missing: bool = False


@dataclass(frozen=True, slots=True)
class ModelEvent:
    """Something done to a model object bound to `var` in `function`."""

    event: str  # "construct" | "fit" | "predict" | "save" | "load"
    var: str
    function: str
    span: Span
    api: str = ""  # constructor or API qualified name
    lineage: Lineage = frozenset()  # fit: training data; predict: inputs
    io: int | None = None  # index into FileFacts.io for save/load


@dataclass(frozen=True, slots=True)
class Call:
    """A call to a function that may belong to the project (resolved in the graph phase)."""

    caller: str  # enclosing Function.qualname
    callee: str  # dotted, qualified through imports where possible ("pkg.data.load", "helper")
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    arg_lineage: tuple[Lineage, ...]
    kwarg_lineage: tuple[tuple[str, Lineage], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ConfigDef:
    """A configuration key defined in a config file, argparse option, dataclass field..."""

    source: str  # "yaml" | "json" | "toml" | "argparse" | ...
    key: tuple[str, ...]
    value: Value
    span: Span


@dataclass(frozen=True, slots=True)
class Evidence:
    """One step of a file rule's evidence: a place and what happens there (`path` "": this file)."""

    span: Span
    note: str
    path: str = ""


@dataclass(frozen=True, slots=True)
class LeakEvent:
    """One step of a function's data flow that leakage depends on (parse/detectors/summaries.py).

    op: "fit" (a preprocessor fit) | "stat" (a statistic of rows) | "split" | "cv" (rows
    cross-validated) | "transform" (a fitted object applied) | "resample" | "call" (an imported
    function that may belong to the project: `cls` its qualified name, `args` what it is passed).
    `data` holds symbolic tokens: "@NAME" the rows of parameter NAME (or `self.NAME`), "fitted:OBJ"
    rows an object fit in this function transformed, "train:S" / "test:S" sides of a split made
    here, "transductive" train and test rows concatenated, "ret:K" / "ret:K.I" (element I of) what
    call K returned, and caller-side tokens for a script's own events.
    """

    op: str
    span: Span
    data: tuple[str, ...] = ()
    cls: str = ""  # fit: the preprocessor's class; call: the callee
    kind: str = ""  # fit: "supervised" | "scaler" | "vocabulary" | "stateless"
    obj: str = ""  # fit / transform: the fitted object ("self.scaler" is shared by methods); call: K
    text: str = ""  # the source, shortened, for messages
    args: tuple[tuple[str, tuple[str, ...]], ...] = ()  # call: position ("0") or keyword -> tokens


@dataclass(frozen=True, slots=True)
class LeakSummary:
    """What one function or method does to its parameters' rows, in statement order, and what it
    returns (one entry per element of a returned tuple, else one) and leaves on `self`."""

    function: str  # qualname; "<module>" for a script's body
    params: tuple[str, ...]
    events: tuple[LeakEvent, ...] = ()
    returns: tuple[tuple[str, ...], ...] = ()
    attrs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # "self.X_train" -> its rows
    star: str = ""  # the `*args` parameter: "@args[I]" its I-th element, "@args" all of them
    dstar: str = ""  # the `**kwargs` parameter: "@kwargs[NAME]" one entry, "@kwargs" all of them
    keys: tuple[tuple[str, tuple[str, ...]], ...] = ()  # a returned dict: "train/X" -> that entry's rows

    def bind(
        self,
        args: Iterable[tuple[str, frozenset[str]]],
        method: bool = False,
        spread: tuple[frozenset[str], Callable[[int], frozenset[str] | None]] | None = None,
        kwspread: tuple[frozenset[str], Callable[[str], frozenset[str] | None]] | None = None,
    ) -> dict[str, frozenset[str]]:
        """The rows each parameter receives at a call: `args` by position ("0", "1", ...) or
        keyword; positions past the named parameters fill `*star` ("star[I]", and "star" all of
        them), unknown keywords `**dstar` ("dstar[NAME]"). `spread` is a `*xs` after the
        positions given (all of its rows, and its element I, None when unknown), `kwspread` a
        `**kw` (all of it, and its entry for a name): a wrapper forwarding its own `*args` or
        `**kwargs`. What nothing binds is absent (no rows known)."""
        params = self.params[1:] if method else self.params
        if self.star:
            positional = params[: params.index(self.star)] if self.star in params else ()
        else:
            positional = tuple(p for p in params if p != self.dstar)
        bound: dict[str, frozenset[str]] = {}
        given = 0
        for key, tokens in args:
            if key.isdigit():
                i = int(key)
                given = max(given, i + 1)
                if i < len(positional):
                    bound[positional[i]] = tokens
                elif self.star:
                    bound[f"{self.star}[{i - len(positional)}]"] = tokens
                    bound[self.star] = bound.get(self.star, frozenset()) | tokens
            elif key in params and key not in (self.star, self.dstar):
                bound[key] = tokens
            elif self.dstar:
                bound[f"{self.dstar}[{key}]"] = tokens
                bound[self.dstar] = bound.get(self.dstar, frozenset()) | tokens
        explicit = set(bound)
        if spread is not None:
            whole, element = spread
            for i in range(given, len(positional)):
                got = element(i - given)
                if got is None:
                    break
                bound.setdefault(positional[i], got)
            if self.star:
                bound[self.star] = bound.get(self.star, frozenset()) | whole
        if kwspread is not None:  # a parameter a forwarded `*args` may fill may come by keyword instead
            whole, entry = kwspread
            for name in params:
                if name not in explicit and name not in (self.star, self.dstar) and name not in positional[:given]:
                    got = entry(name)
                    if got is not None:
                        bound[name] = bound.get(name, frozenset()) | got
            if self.dstar:
                bound[self.dstar] = bound.get(self.dstar, frozenset()) | whole
        return bound

    @staticmethod
    def param_rows(bound: dict[str, frozenset[str]], name: str) -> frozenset[str]:
        """What "@NAME" names among the bound rows: "args[0]" falls back to all of `args` when the
        caller forwarded rows whose elements it does not know."""
        got = bound.get(name)
        if got is None and name.endswith("]"):
            got = bound.get(name.partition("[")[0])
        return got if got is not None else frozenset()


@dataclass(frozen=True, slots=True)
class Smell:
    """A file rule's finding, found by a detector in the parse phase (see parse/detectors).

    Detectors report everything they see; the rule class in `mldebt.rules` applies its options
    (`data` holds the measured knobs, e.g. ("statements", "212")), so cached facts do not depend
    on the user's settings.
    """

    rule: str  # "MLD811"
    span: Span
    message: str
    key: str = ""  # stable identity within the file (no line numbers), for the fingerprint
    related: tuple[Evidence, ...] = ()
    confidence: str = ""  # "" = the rule's default; else "high" | "medium" | "low"
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A configuration key read or defined in code, for the configuration-debt graph rules.

    source: "argparse" | "click" | "config" (a YAML/JSON/TOML file's mapping) | "hydra" |
    "env" | "dataclass" | "settings" | "mention" (a name the file mentions) ...;
    op: "read" | "define" | "walk" (a path traversed to a sub-mapping) | "return" (handed to
    callers) | "pass" (a sub-mapping handed to a callee the graph phase may follow: `default` is
    `Value("arg", callee, keys=(slot,))`, slot a positional index or a keyword). Source "param"
    is a function's summary: `file` is `Value("param", name, keys=(owner qualname,))`, keys
    relative to that parameter. Key `()` reads (or, for "define", opens) the whole mapping. See
    parse/detectors/config_keys.py and graph/configflow.py.
    """

    source: str
    op: str
    key: tuple[str, ...]
    span: Span
    file: Value = UNKNOWN  # the config file, for source "config"
    function: str = ""  # enclosing Function.qualname
    # definitions: the default; reads: the fallback (`.get("k", 0.1)`); op "pass": the callee and slot
    default: Value = UNKNOWN


@dataclass(frozen=True, slots=True)
class Summary:
    """What a function returns, as file rules see it, for the project phase to apply at calls in
    other functions and modules (see parse/detectors/summaries.py).

    kind: "output" (model scores or probabilities; `scale` "prob" or "score").
    `via`: the function returns what this callee returns (a dotted name, qualified through the
    file's imports, or a qualname of the same file); resolved in the project phase, bounded.
    """

    function: str  # Function.qualname
    kind: str
    span: Span  # the return statement
    scale: str = ""
    what: str = ""  # "`clf.predict_proba`", for messages
    via: str = ""


@dataclass(frozen=True, slots=True)
class Suppression:
    """A `# mldebt: ignore[MLD201, MLD3] -- reason` comment (see parse/suppressions.py).

    `codes` empty: every rule. `own_line`: the comment is alone on its line, so it also covers
    the next line. `line` is in the file's (for notebooks: the joined code's) numbering.
    """

    line: int
    column: int  # 1-based column of the `#`
    codes: tuple[str, ...]
    reason: str = ""
    own_line: bool = False


@dataclass(frozen=True, slots=True)
class FileFacts:
    path: str  # POSIX, relative to the scan root
    kind: str  # "python" | "notebook" | "config" | "launcher"
    module: str  # dotted module name for Python files, "" otherwise
    lines: int
    imports: tuple[Import, ...] = ()
    constants: tuple[tuple[str, Value], ...] = ()  # module-level names -> values
    functions: tuple[Function, ...] = ()
    io: tuple[IO, ...] = ()
    models: tuple[ModelEvent, ...] = ()
    calls: tuple[Call, ...] = ()
    config_defs: tuple[ConfigDef, ...] = ()
    mentions: tuple[str, ...] = ()  # launchers: script paths they run (for pipeline declarations)
    declares_pipeline: bool = False  # dvc.yaml, Makefile, kedro pipeline, ...
    mounts: tuple[str, ...] = ()  # container mount points it declares (`pvolumes={"/data": ...}`)
    suppressions: tuple[Suppression, ...] = ()  # `# mldebt: ignore[MLD201] -- reason` comments
    # notebooks: per line of the joined code, (cell index, line in cell, line in the raw .ipynb)
    line_map: tuple[tuple[int, int, int], ...] = ()
    smells: tuple[Smell, ...] = ()  # file rules' findings (parse/detectors)
    key_uses: tuple[KeyUse, ...] = ()  # configuration keys read/defined in code
    leak_summaries: tuple[LeakSummary, ...] = ()  # functions whose flow crosses calls (leakage)
    summaries: tuple[Summary, ...] = ()  # what functions return, for file rules across functions
    problems: tuple[str, ...] = ()  # parts left out (a notebook cell that is not Python): reported in errors
