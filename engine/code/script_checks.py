"""What a topology script may contain beyond builder calls: its imports, function
signatures, annotations, the ``main`` runner and the ``if __name__ == "__main__"`` guard.
``ScriptChecks`` is the half of the importer's reader that refuses anything else, with
the line and what to write instead."""

from __future__ import annotations

import ast
from typing import Any, NoReturn

from engine.code import builder as api

CONSTRUCTORS: dict[str, Any] = {
    "StreamsBuilder": api.StreamsBuilder,
    "Aggregation": api.Aggregation,
    "Branch": api.Branch,
    "TumblingWindow": api.TumblingWindow,
    "HoppingWindow": api.HoppingWindow,
    "SessionWindow": api.SessionWindow,
    "SlidingWindow": api.SlidingWindow,
}
BUILDER_METHODS = frozenset({"stream", "table", "generator", "layout", "build"})
STREAM_METHODS = frozenset({
    "filter", "map", "set_fields", "flat_map", "rekey", "select_key", "branch", "merge",
    "group_by", "group_by_key", "aggregate", "join", "left_join", "outer_join", "to", "to_console",
    "to_file", "to_dashboard", "to_table", "table_join", "table_aggregate",
})  # fmt: skip
GROUPED_METHODS = frozenset({"window", "windowed_by", "aggregate", "count"})
# The public facade first; the engine's own names are those of scripts exported before it.
FACADE = "topology_studio"
ALLOWED_IMPORTS = {
    FACADE: None,  # any of its names
    "engine.builder": None,  # any of its names
    "engine.model": {"Topology"},
    "engine.runner": {"run_main"},
    "__future__": {"annotations"},
    "typing": None,
}
BUILDER_MODULES = frozenset({FACADE, "engine.builder"})
PLAIN_IMPORTS = {"sys"}


class ImportScriptError(ValueError):
    """A script that cannot be read as a topology; str() names the file and line."""

    def __init__(self, filename: str, lineno: int | None, message: str, more: tuple[str, ...] = ()):
        self.filename, self.lineno, self.message = filename, lineno, message
        where = f"{filename}, line {lineno}" if lineno else filename
        super().__init__("\n".join((f"{where}: {message}", *more)))


LITERAL_HINT = "write the value itself (a string, number, True/False/None, list or dict)"


class ScriptChecks:
    """Mixed into the importer's reader, which provides ``fail``, ``literal`` and ``aliases``."""

    aliases: dict[str, str]  # local name -> constructor name, filled by check_import

    def fail(self, node: ast.AST | None, message: str) -> NoReturn:
        raise NotImplementedError

    def literal(self, node: ast.expr, env: dict[str, Any]) -> Any:
        raise NotImplementedError

    def check_import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        allowed = (
            "a topology script imports only from topology_studio (or engine.builder, "
            "engine.model, engine.runner) and sys"
        )
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name not in PLAIN_IMPORTS or alias.asname:
                    self.fail(stmt, f"'import {alias.name}' cannot be read: {allowed}")
            return
        module = stmt.module or ""
        if stmt.level or module not in ALLOWED_IMPORTS:
            self.fail(
                stmt, f"'from {'.' * stmt.level}{module} import ...' cannot be read: {allowed}"
            )
        names = ALLOWED_IMPORTS[module]
        for alias in stmt.names:
            if alias.name == "*":
                if module not in BUILDER_MODULES:
                    self.fail(stmt, f"'from {module} import *' cannot be read: {allowed}")
                continue
            if names is not None and alias.name not in names:
                self.fail(stmt, f"'{alias.name}' from {module} cannot be read: {allowed}")
            if module in BUILDER_MODULES and alias.asname and alias.name in CONSTRUCTORS:
                self.aliases[alias.asname] = alias.name

    def check_signature(self, fn: ast.FunctionDef) -> None:
        if fn.decorator_list:
            self.fail(fn.decorator_list[0], "decorators cannot be read: remove them")
        args = fn.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.literal_only(default, "a default value")
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.check_annotation(arg.annotation)
        if fn.returns is not None:
            self.check_annotation(fn.returns)
        if not is_runner(fn) and (
            args.args or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg
        ):
            self.fail(
                fn,
                f"{fn.name}() builds the topology and cannot take parameters: "
                "write the values into the calls",
            )

    def check_annotation(self, node: ast.expr) -> None:
        for sub in ast.walk(node):
            if not isinstance(
                sub,
                (
                    ast.Name,
                    ast.Attribute,
                    ast.Constant,
                    ast.Subscript,
                    ast.BinOp,
                    ast.BitOr,
                    ast.Load,
                    ast.Tuple,
                    ast.List,
                ),
            ):
                self.fail(sub, "an annotation can only name types")

    def literal_only(self, node: ast.expr, what: str) -> Any:
        try:
            return self.literal(node, {})
        except ImportScriptError:
            self.fail(node, f"{what} must be a literal value: {LITERAL_HINT}")

    def check_runner(self, fn: ast.FunctionDef, functions: set[str]) -> None:
        """``def main(argv=None): return run_main(build(), argv)``: calls only run_main,
        sys.exit and functions of the script without arguments."""
        params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        body = fn.body[1:] if is_docstring(fn.body[0]) else fn.body
        for stmt in body:
            if not isinstance(stmt, (ast.Return, ast.Expr)) or stmt.value is None:
                self.fail(stmt, f"{fn.name}() may only return run_main(build(), argv)")
            self.check_runner_expr(stmt.value, params, functions, fn.name)

    def check_runner_expr(
        self, node: ast.expr, params: set[str], functions: set[str], where: str
    ) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                func = sub.func
                name = func.id if isinstance(func, ast.Name) else None
                if (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "sys"
                    and func.attr == "exit"
                ):
                    continue
                if name in ("run_main", "SystemExit"):
                    continue
                if name in functions and not sub.args and not sub.keywords:
                    continue
                self.fail(
                    sub,
                    f"{where}: only run_main(build(), argv) and sys.exit(main()) can be read here",
                )
            elif isinstance(sub, ast.Name):
                if (
                    sub.id not in params
                    and sub.id not in functions
                    and sub.id not in ("run_main", "sys", "SystemExit")
                ):
                    self.fail(sub, f"{where}: '{sub.id}' cannot be read here")
            elif isinstance(sub, ast.Attribute):
                if not (
                    isinstance(sub.value, ast.Name)
                    and sub.value.id == "sys"
                    and sub.attr in ("exit", "argv")
                ):
                    self.fail(sub, f"{where}: only sys.exit and sys.argv can be used here")
            elif not isinstance(
                sub, (ast.Constant, ast.Load, ast.keyword, ast.Subscript, ast.Slice)
            ):
                self.fail(sub, f"{where}: only run_main(build(), argv) can be read here")

    def check_main_guard(self, stmt: ast.If, functions: set[str]) -> None:
        if stmt.orelse:
            self.fail(stmt.orelse[0], "the main guard cannot have an else branch")
        for sub in stmt.body:
            if isinstance(sub, ast.Raise) and sub.exc is not None and sub.cause is None:
                self.check_runner_expr(sub.exc, set(), functions, "the main guard")
            elif isinstance(sub, ast.Expr):
                self.check_runner_expr(sub.value, set(), functions, "the main guard")
            else:
                self.fail(sub, "the main guard may only call sys.exit(main())")

    def bind(self, target: ast.expr, value: Any, env: dict[str, Any]) -> None:
        if not isinstance(target, ast.Name):
            self.fail(
                target,
                "only a plain variable name can be assigned: write one assignment per stream",
            )
        if target.id in CONSTRUCTORS or target.id in self.aliases:
            self.fail(target, f"'{target.id}' is a name of the builder API; choose another name")
        env[target.id] = value

    def check_branches(self, node: ast.Call, branches: Any) -> None:
        if not isinstance(branches, list):
            self.fail(
                node, 'branch() takes a list of Branch(name, expr) or {"name": ..., "expr": ...}'
            )
        for i, branch in enumerate(branches, 1):
            if isinstance(branch, api.Branch):
                continue
            if not isinstance(branch, dict) or not isinstance(branch.get("name"), str):
                self.fail(
                    node,
                    f"branch {i} must be Branch(name, expr) or a dict with a 'name' and an 'expr'",
                )


def is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def is_main_guard(stmt: ast.If) -> bool:
    test = stmt.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def is_runner(fn: ast.FunctionDef) -> bool:
    """A function that only hands the topology to run_main (``main`` of exported scripts)."""
    return any(
        isinstance(sub, ast.Name) and sub.id == "run_main" for sub in ast.walk(fn)
    ) and not any(isinstance(sub, ast.Name) and sub.id in CONSTRUCTORS for sub in ast.walk(fn))
