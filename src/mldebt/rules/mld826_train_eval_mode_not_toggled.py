"""MLD826 train-eval-mode-not-toggled: torch modules evaluated in training mode or trained in
evaluation mode. A flow of each module's mode (train/eval) through the scope, loops iterated
twice to see the back edge, and same-file helpers summarised (`evaluate(model)` that calls
`model.eval()`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.detectors.frameworks import (
    LOOPS,
    NESTED,
    RETURNS_SELF,
    Scopes,
    at_line,
    is_method_call,
    last_part,
    no_grad_function,
    no_grad_with,
    walk_body,
)
from mldebt.parse.detectors.types import TORCH_MODULE
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class TrainEvalModeNotToggled(FileRule):
    id = "MLD826"
    name = "train-eval-mode-not-toggled"


# detection ------------------------------------------------------------------------------


def _module_functions(ctx: FileContext) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions of the file, by name (the ones called by bare name)."""
    return {n.name: n for n in ctx.tree.body if isinstance(n, FUNCTIONS)}


def _callee_function(
    ctx: FileContext, call: ast.Call, functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, int] | None:
    """The same-file function a call calls, and how many leading parameters the call does not
    pass (1 for `self.method(...)`)."""
    if isinstance(call.func, ast.Name) and call.func.id in functions:
        return functions[call.func.id], 0
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == "self":
        cls = next((a for a in ctx.ancestors(call) if isinstance(a, ast.ClassDef)), None)
        if cls is not None:
            for fn in cls.body:
                if isinstance(fn, FUNCTIONS) and fn.name == call.func.attr:
                    return fn, 1
    return None


TRAIN, EVAL, PARAM, UNKNOWN = "train", "eval", "param", "unknown"
_SENSITIVE_WORDS = ("dropout", "batchnorm", "batch_norm", "instancenorm", "transformer", "multiheadattention", "rrelu")
_Mode = dict[str, ast.AST]  # possible mode -> the node that set it
_State = dict[str, _Mode]


@dataclass
class _Summary:
    """What a same-file function does to each parameter's mode."""

    params: list[str]
    evaluates: dict[str, ast.AST] = field(default_factory=dict)  # run under no_grad, mode untouched
    trains: dict[str, ast.AST] = field(default_factory=dict)  # trained with its mode untouched
    ends: dict[str, tuple[str, ast.AST]] = field(default_factory=dict)  # mode at return


def _join(a: _State, b: _State) -> _State:
    out: _State = {}
    for name in set(a) | set(b):
        modes = dict(a.get(name) or {UNKNOWN: ast.Pass()})
        for mode, node in (b.get(name) or {UNKNOWN: ast.Pass()}).items():
            modes.setdefault(mode, node)
        out[name] = modes
    return out


def _copy(state: _State) -> _State:
    return {k: dict(v) for k, v in state.items()}


class _ModeFlow:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.functions = _module_functions(ctx)
        self.scopes = Scopes(ctx)
        self.summaries: dict[int, _Summary] = {}
        self.found: dict[int, Smell] = {}
        self._sensitive: dict[str, bool] = {}
        self._classes = {n.name: n for n in ctx.walk() if isinstance(n, ast.ClassDef)}
        self._summary: _Summary | None = None
        self._training_scope = False
        self._loop_trains: dict[int, bool] = {}
        self._depth = 0

    # ------------------------------------------------------------------ driver

    def run(self) -> list[Smell]:
        fns = self._relevant()
        for _ in range(2):  # helpers calling helpers
            for fn in fns:
                self._function(fn, report=False)
        self.found = {}
        self._scope(self.ctx.tree, self.ctx.tree.body, {}, no_grad=False)
        for fn in fns:
            self._function(fn, report=True)
        return [self.found[k] for k in sorted(self.found)]

    def _relevant(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Functions that switch modes, evaluate, train, or call one that does (the others cannot
        change a finding)."""
        lines = self.ctx.lines
        words = ("no_grad", "inference_mode", "set_grad_enabled", ".eval(", ".train(", ".backward(")
        texts = {id(fn): "\n".join(lines[fn.lineno - 1 : fn.end_lineno or fn.lineno]) for fn in self.ctx.functions}
        relevant = {fn.name for fn in self.ctx.functions if any(w in texts[id(fn)] for w in words)}
        for _ in range(3):
            relevant |= {fn.name for fn in self.ctx.functions if any(f"{r}(" in texts[id(fn)] for r in relevant)}
        return [fn for fn in self.ctx.functions if fn.name in relevant]

    def _function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, report: bool) -> None:
        args = fn.args
        params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        summary = _Summary(params)
        state: _State = {p: {PARAM: fn} for p in params if p not in ("self", "cls")}
        saved = self.found
        if not report:
            self.found = {}
        self._summary = summary
        end = self._scope(fn, fn.body, state, no_grad=no_grad_function(self.ctx, fn))
        self._summary = None
        self.found = saved if not report else self.found
        for p in params:
            modes = end.get(p, {})
            if len(modes) == 1:
                mode, node = next(iter(modes.items()))
                if mode in (TRAIN, EVAL):
                    summary.ends[p] = (mode, node)
        if not report:
            self.summaries[id(fn)] = summary

    def _scope(self, scope: ast.AST, body: list[ast.stmt], state: _State, no_grad: bool) -> _State:
        saved = self._training_scope
        self._training_scope = isinstance(scope, FUNCTIONS) and any(
            is_method_call(n, "backward") for n in walk_body(body)
        )
        out = self._block(body, state, no_grad, None)
        self._training_scope = saved
        return out

    # --------------------------------------------------------------- statements

    def _block(self, stmts: list[ast.stmt], state: _State, no_grad: bool, loop: ast.AST | None) -> _State:
        for stmt in stmts:
            state = self._stmt(stmt, state, no_grad, loop)
        return state

    def _stmt(self, stmt: ast.stmt, state: _State, no_grad: bool, loop: ast.AST | None) -> _State:
        if isinstance(stmt, NESTED):
            return state
        if isinstance(stmt, ast.If):
            self._expr(stmt.test, state, no_grad, loop)
            a = self._block(stmt.body, _copy(state), no_grad, loop)
            b = self._block(stmt.orelse, _copy(state), no_grad, loop)
            return _join(a, b)
        if isinstance(stmt, LOOPS):
            head = stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt.test
            self._expr(head, state, no_grad, loop)
            self._depth += 1
            first = self._block(stmt.body, _copy(state), no_grad, stmt)
            if self._depth <= 3:  # the back edge; deeper loops once (2**depth passes otherwise)
                first = self._block(stmt.body, _join(state, first), no_grad, stmt)
            self._depth -= 1
            after = _join(state, first)
            return self._block(stmt.orelse, after, no_grad, loop)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expr(item.context_expr, state, no_grad, loop)
            inner = no_grad or no_grad_with(self.ctx, stmt)
            return self._block(stmt.body, state, inner, loop)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            body = self._block(stmt.body, _copy(state), no_grad, loop)  # type: ignore[attr-defined]
            out = body
            for h in stmt.handlers:  # type: ignore[attr-defined]
                out = _join(out, self._block(h.body, _copy(state), no_grad, loop))
            out = self._block(stmt.orelse, out, no_grad, loop)  # type: ignore[attr-defined]
            return self._block(stmt.finalbody, out, no_grad, loop)  # type: ignore[attr-defined]
        if isinstance(stmt, ast.Match):
            self._expr(stmt.subject, state, no_grad, loop)
            out = state
            for case in stmt.cases:
                out = _join(out, self._block(case.body, _copy(state), no_grad, loop))
            return out
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self._expr(child, state, no_grad, loop)
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._assign(target, stmt.value, stmt, state)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assign(stmt.target, stmt.value, stmt, state)
        return state

    def _assign(self, target: ast.expr, value: ast.expr, stmt: ast.stmt, state: _State) -> None:
        name = self.ctx.dotted(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if name is None:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    state.pop(sub.id, None)
            return
        # `model = model.to(device)` keeps the mode; `model = Net()` starts in training mode
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in RETURNS_SELF:
            inner = self.ctx.dotted(value.func.value)
            if inner is not None and inner in state and value.func.attr not in ("train", "eval"):
                state[name] = dict(state[inner])
                return
        if self._constructs_module(value):
            state[name] = {TRAIN: stmt}
        else:
            state.pop(name, None)

    def _constructs_module(self, value: ast.expr) -> bool:
        while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in RETURNS_SELF:
            if value.func.attr in ("train", "eval"):
                return False
            value = value.func.value
        if not isinstance(value, ast.Call):
            return False
        name = self.ctx.call_name(value) or ""
        last = last_part(name)
        if name.startswith("torch.nn.") and last[:1].isupper():
            return True
        if name.startswith("torchvision.models.") and last[:1].islower():
            return True
        return (
            isinstance(value.func, ast.Name)
            and value.func.id in self._classes
            and self.ctx.types.kind_of(value) == TORCH_MODULE
        )

    # -------------------------------------------------------------- expressions

    def _expr(self, expr: ast.expr, state: _State, no_grad: bool, loop: ast.AST | None) -> None:
        for node in walk_body([expr]):
            if isinstance(node, ast.Call):
                self._call(node, state, no_grad, loop)

    def _call(self, call: ast.Call, state: _State, no_grad: bool, loop: ast.AST | None) -> None:
        func = call.func
        # mode switches
        if isinstance(func, ast.Attribute) and func.attr in ("train", "eval"):
            name = self.ctx.dotted(func.value)
            if name is not None and (name in state or self.ctx.types.kind_of(func.value) == TORCH_MODULE):
                mode = EVAL if func.attr == "eval" or _false_arg(call) else TRAIN
                state[name] = {mode: call}
            return
        # a same-file helper
        callee = _callee_function(self.ctx, call, self.functions)
        if callee is not None:
            self._helper(call, callee[0], callee[1], state)
            return
        # the module itself: `model(x)` / `model.forward(x)`
        target = func.value if isinstance(func, ast.Attribute) and func.attr == "forward" else func
        name = self.ctx.dotted(target)
        if name is None or name not in state:
            return
        modes = state[name]
        if PARAM not in modes and self.ctx.types.kind_of(target) != TORCH_MODULE:
            return
        if no_grad:
            if set(modes) == {TRAIN} and self._is_sensitive(name, target):
                why = modes[TRAIN]
                self._report(
                    call,
                    f"`{name}` runs under `torch.no_grad()` (for evaluation) while in training mode "
                    f"({_why_train(self.ctx, why)}): dropout and batch-norm behave as in training",
                    name,
                    why,
                )
            if set(modes) == {PARAM} and self._summary is not None:
                self._summary.evaluates.setdefault(name, call)
        elif self._trains(call, loop):
            if EVAL in modes and self._is_sensitive(name, target):
                why = modes[EVAL]
                self._report(
                    call,
                    f"`{name}` is trained here (its loop calls `.backward()`) but may still be in evaluation "
                    f"mode: `{self.ctx.source(why)}`{at_line(self.ctx, why)} is not undone by "
                    f"`{name}.train()`",
                    name,
                    why,
                )
            if set(modes) == {PARAM} and self._summary is not None:
                self._summary.trains.setdefault(name, call)

    def _helper(self, call: ast.Call, fn: ast.AST, skip: int, state: _State) -> None:
        summary = self.summaries.get(id(fn))
        if summary is None:
            return
        bound: list[tuple[str, ast.expr]] = []
        params = summary.params[skip:]
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return
            if i < len(params):
                bound.append((params[i], arg))
        for kw in call.keywords:
            if kw.arg is not None:
                bound.append((kw.arg, kw.value))
        fname = getattr(fn, "name", "?")
        for param, arg in bound:
            name = self.ctx.dotted(arg)
            if name is None or name not in state:
                continue
            modes = state[name]
            is_module = PARAM in modes or self.ctx.types.kind_of(arg) == TORCH_MODULE
            if not is_module:
                continue
            if param in summary.evaluates and set(modes) == {TRAIN} and self._is_sensitive(name, arg):
                use = summary.evaluates[param]
                why = modes[TRAIN]
                self._report(
                    call,
                    f"`{name}` is passed in training mode ({_why_train(self.ctx, why)}) to `{fname}`, "
                    f"which runs it under `torch.no_grad()`{at_line(self.ctx, use)} without `.eval()`",
                    name,
                    why,
                )
            if param in summary.trains and EVAL in modes and self._is_sensitive(name, arg):
                use = summary.trains[param]
                why = modes[EVAL]
                self._report(
                    call,
                    f"`{fname}` trains `{name}`{at_line(self.ctx, use)} without `.train()`, but "
                    f"`{name}` may still be in evaluation mode here (`{self.ctx.source(why)}`{at_line(self.ctx, why)})",
                    name,
                    why,
                )
            if self._summary is not None and set(modes) == {PARAM}:
                if param in summary.evaluates:
                    self._summary.evaluates.setdefault(name, call)
                if param in summary.trains:
                    self._summary.trains.setdefault(name, call)
            if param in summary.ends:
                mode, _ = summary.ends[param]
                state[name] = {mode: call}

    def _trains(self, call: ast.Call, loop: ast.AST | None) -> bool:
        if loop is not None:
            known = self._loop_trains.get(id(loop))
            if known is None:
                known = self._loop_trains[id(loop)] = any(
                    is_method_call(n, "backward") for n in walk_body(getattr(loop, "body", []))
                )
            return known
        return self._training_scope

    def _report(self, node: ast.AST, message: str, name: str, why: ast.AST) -> None:
        key = getattr(node, "lineno", 0) * 10000 + getattr(node, "col_offset", 0)
        if key in self.found:
            return
        related: tuple[tuple[ast.AST, str], ...] = ()
        if hasattr(why, "lineno"):
            related = ((why, f"the mode of `{name}` is set here"),)
        self.found[key] = self.ctx.smell("MLD826", node, message, key=f"{name}|{message[:40]}", related=related)

    # ------------------------------------------------------------- sensitivity

    def _is_sensitive(self, name: str, node: ast.expr) -> bool:
        """Can the module's mode matter (dropout, batch-norm)? Unknown -> yes."""
        made = self.scopes.constructor(node)
        if made is None:
            return True
        return self._call_sensitive(made[1], 0)

    def _call_sensitive(self, call: ast.Call, depth: int) -> bool:
        name = self.ctx.call_name(call) or ""
        last = last_part(name)
        if depth > 6:
            return True
        if name.startswith("torch.nn."):
            if any(w in last.lower() for w in _SENSITIVE_WORDS):
                return True
            if last in ("Sequential", "ModuleList", "ModuleDict"):
                return any(
                    isinstance(a, ast.Call) and self._call_sensitive(a, depth + 1)
                    for a in ast.walk(call)
                    if a is not call
                )
            return False
        if isinstance(call.func, ast.Name) and call.func.id in self._classes:
            return self._class_sensitive(call.func.id, depth + 1)
        return True

    def _class_sensitive(self, cls_name: str, depth: int) -> bool:
        if cls_name in self._sensitive:
            return self._sensitive[cls_name]
        self._sensitive[cls_name] = True  # recursion guard
        cls = self._classes[cls_name]
        result = False
        for base in cls.bases:
            q = self.ctx.qualify(base) or ""
            if q in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                continue
            if isinstance(base, ast.Name) and base.id in self._classes:
                result = result or self._class_sensitive(base.id, depth + 1)
            else:
                result = True
        for node in ast.walk(cls):
            word = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            if word and (any(w in word.lower() for w in _SENSITIVE_WORDS) or word == "training"):
                result = True
            if isinstance(node, ast.Call) and not result and isinstance(node.func, (ast.Name, ast.Attribute)):
                q = self.ctx.call_name(node) or ""
                if isinstance(node.func, ast.Name) and node.func.id in self._classes:
                    if node.func.id != cls_name:
                        result = self._class_sensitive(node.func.id, depth + 1)
                elif last_part(q)[:1].isupper() and q.split(".")[0] not in ("torch", "math", "numpy", "super"):
                    result = True  # a block of unknown make (imported, or defined elsewhere)
        self._sensitive[cls_name] = result
        return result


def _false_arg(call: ast.Call) -> bool:
    args = [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    return bool(args) and isinstance(args[0], ast.Constant) and args[0].value is False


def _why_train(ctx: FileContext, node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return f"`{ctx.source(node)}`{at_line(ctx, node)}"
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return f"a new module starts in training mode, constructed{at_line(ctx, node)}"
    return f"set{at_line(ctx, node)}"


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("torch"):
        return
    # a finding needs a no_grad evaluation, or an `.eval()` and a `.backward()`
    text = ctx.text
    evaluates = "no_grad" in text or "inference_mode" in text or "set_grad_enabled" in text
    if not evaluates and (".backward(" not in text or (".eval(" not in text and ".train(" not in text)):
        return
    yield from _ModeFlow(ctx).run()
