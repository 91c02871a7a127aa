"""Code import: a script in the builder API read back into a topology, without running it.

The script is parsed with ``ast`` and its builder calls are followed statically:
variables bound to the builder, to streams, to branch results, to grouped streams and
to literal values are tracked, and each call is replayed on a real
``StreamsBuilder`` with literal arguments only, so a script and the
canvas share one model. Nothing of the script is executed or imported: anything that
is not a literal or a builder call (a computed value, an f-string, a loop, an unknown
function, an import of another module) is refused with the line and what to write
instead. Scripts written by ``engine.code.export`` are read exactly, whether they import
``topology_studio`` or, exported earlier, ``engine.builder``; hand-written ones
may use keyword or positional arguments, chained calls, dict literals for
aggregations, branches and windows, ``Aggregation``/``Branch``/window classes,
settings keywords and ``builder.layout``.
"""

from __future__ import annotations

import ast
import codecs
import inspect
import io
import os
import tokenize
from pathlib import Path
from typing import Any, NoReturn

from engine.code import builder as api
from engine.code.script_checks import (
    BUILDER_METHODS,
    CONSTRUCTORS,
    GROUPED_METHODS,
    LITERAL_HINT,
    STREAM_METHODS,
    ImportScriptError,
    ScriptChecks,
    is_docstring,
    is_main_guard,
    is_runner,
)
from engine.model.fileformat import find_lone_surrogate, to_dict
from engine.model.topology import ModelError, Topology
from engine.model.validation import errors, validate

__all__ = ["ImportScriptError", "import_script", "read_script"]


class _Built:
    """What ``builder.build()`` stands for in the script."""


class _Function:
    """A function of the script: the builder function is read, ``main`` is checked."""

    def __init__(self, node: ast.FunctionDef):
        self.node = node


MAX_SCRIPT_BYTES = 16 * 1024 * 1024


def read_script(path: str | os.PathLike) -> str:
    """The text of the script at ``path`` as Python would read it: decoded with the encoding it
    declares (PEP 263), which must be UTF-8 (ASCII being part of it). Raises ImportScriptError
    with a sentence (and the line) when it cannot be read."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_SCRIPT_BYTES:
            raise ImportScriptError(
                name,
                None,
                f"the script is {size:,} bytes; a topology script is at most {MAX_SCRIPT_BYTES:,}",
            )
        data = Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ImportScriptError(name, None, f"cannot read the script: {reason}") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # an unknown encoding, a BOM against the declaration, not UTF-8
        message = str(exc.msg if getattr(exc, "msg", None) else exc)
        if "unknown encoding" not in message and "encoding problem" not in message:
            encoding = "utf-8"  # not UTF-8 in the first lines: said with the byte below
        else:
            raise ImportScriptError(
                name, _declaration_line(data), f"{message}; only UTF-8 scripts can be imported"
            ) from None
    if codecs.lookup(encoding).name != "utf-8":
        raise ImportScriptError(
            name,
            _declaration_line(data),
            f"the script declares the encoding {encoding}; only UTF-8 scripts "
            "can be imported: save it as UTF-8 and change or remove that line",
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportScriptError(
            name,
            line,
            f"the script is not UTF-8 text (byte 0x{data[exc.start]:02x} "
            "on this line); save it as UTF-8",
        ) from None


def _declaration_line(data: bytes) -> int:
    """The line of the PEP 263 coding declaration (1 or 2), 1 when there is none."""
    lines = data.split(b"\n", 2)
    return 2 if len(lines) > 1 and b"coding" in lines[1] and b"coding" not in lines[0] else 1


def import_script(source: str, filename: str = "<script>", *, check: bool = True) -> Topology:
    """The topology a builder-API script builds, read statically (see the module docstring).

    With ``check`` the topology is validated and its errors are raised as an
    ImportScriptError naming the line of the node they belong to.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise ImportScriptError(
            filename, exc.lineno, f"the script is not valid Python: {exc.msg}"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        raise ImportScriptError(filename, None, f"the script cannot be parsed: {exc}") from None
    reader = _Reader(filename)
    try:
        reader.module(tree)
    except RecursionError:
        raise ImportScriptError(filename, None, "the script nests too deeply to be read") from None
    if reader.builder is None:
        raise ImportScriptError(
            filename,
            None,
            "no StreamsBuilder(...) found: a topology script "
            'creates one with StreamsBuilder("name") and adds nodes to it',
        )
    topology = reader.builder.topology
    where = find_lone_surrogate(to_dict(topology))
    if where is not None:
        line = next(
            (n for node_id, n in reader.node_lines.items() if node_id in where), reader.builder_line
        )
        raise ImportScriptError(
            filename,
            line,
            f"{where} holds a lone surrogate (\\ud800-\\udfff), which no text can contain",
        )
    if check:
        bad = errors(validate(topology))
        if bad:
            lines = [
                reader.node_lines.get(p.node_id, reader.builder_line)
                if p.node_id is not None
                else reader.builder_line
                for p in bad
            ]
            more = tuple(f"{filename}, line {n}: {p}" for n, p in zip(lines[1:], bad[1:]))
            raise ImportScriptError(filename, lines[0], str(bad[0]), more)
    return topology


class _Reader(ScriptChecks):
    """Follows the script's statements and builder calls; the checks of imports,
    functions and the main guard are ScriptChecks'."""

    def __init__(self, filename: str):
        self.filename = filename
        self.builder: api.StreamsBuilder | None = None
        self.builder_line = 1
        self.node_lines: dict[str, int] = {}
        self.aliases: dict[str, str] = {}  # local name -> constructor name

    def fail(self, node: ast.AST | None, message: str) -> NoReturn:
        raise ImportScriptError(self.filename, getattr(node, "lineno", None), message)

    # -- statements --------------------------------------------------------------------

    def module(self, tree: ast.Module) -> None:
        env: dict[str, Any] = {}
        functions: dict[str, _Function] = {}
        body = list(tree.body)
        if body and is_docstring(body[0]):
            body = body[1:]
        # main() may come before build(): every top-level function is known up front.
        names = {stmt.name for stmt in body if isinstance(stmt, ast.FunctionDef)}
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.check_import(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.check_signature(stmt)
                functions[stmt.name] = _Function(stmt)
                if not is_runner(stmt):
                    self.block(stmt.body, dict(env), in_function=True)
                else:
                    self.check_runner(stmt, names)
                env[stmt.name] = functions[stmt.name]
            elif isinstance(stmt, ast.If) and is_main_guard(stmt):
                self.check_main_guard(stmt, names)
            else:
                self.statement(stmt, env, in_function=False)

    def block(self, body: list[ast.stmt], env: dict[str, Any], in_function: bool) -> None:
        if body and is_docstring(body[0]):
            body = body[1:]
        for stmt in body:
            self.statement(stmt, env, in_function)

    def statement(self, stmt: ast.stmt, env: dict[str, Any], in_function: bool) -> None:
        if isinstance(stmt, ast.Pass):
            return
        if isinstance(stmt, ast.Assign):
            value = self.value(stmt.value, env)
            for target in stmt.targets:
                self.bind(target, value, env)
            return
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is None:
                self.fail(stmt, "a bare annotation cannot be read: assign a value")
            self.check_annotation(stmt.annotation)
            self.bind(stmt.target, self.value(stmt.value, env), env)
            return
        if isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                return  # a string used as a comment
            if not isinstance(stmt.value, ast.Call):
                self.fail(stmt, "only calls of the builder API can stand alone on a line")
            self.value(stmt.value, env)
            return
        if isinstance(stmt, ast.Return) and in_function:
            if stmt.value is not None:
                value = self.value(stmt.value, env)
                if not isinstance(value, (_Built, api.StreamsBuilder, Topology)):
                    self.fail(stmt, "the builder function must return builder.build()")
            return
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.fail(stmt, "imports belong at the top of the script")
        what = {
            ast.For: "a for loop",
            ast.While: "a while loop",
            ast.If: "an if statement",
            ast.With: "a with statement",
            ast.Try: "a try statement",
            ast.AugAssign: "an augmented assignment",
            ast.ClassDef: "a class",
            ast.FunctionDef: "a nested function",
            ast.Delete: "a del statement",
            ast.Global: "a global statement",
            ast.Raise: "a raise statement",
            ast.AsyncFunctionDef: "an async function",
        }.get(type(stmt), f"a {type(stmt).__name__} statement")
        self.fail(
            stmt,
            f"{what} cannot be read: write one builder statement per node, with literal values",
        )

    # -- expressions ---------------------------------------------------------------------

    def value(self, node: ast.expr, env: dict[str, Any]) -> Any:
        """The value of an expression: a literal, a builder object, or a stream."""
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        return self.literal(node, env)

    def literal(self, node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, (str, bool, int, float)):
                return node.value
            self.fail(node, f"{type(node.value).__name__} values cannot be read: {LITERAL_HINT}")
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)
        ):
            return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    self.fail(elt, f"unpacking with * cannot be read: {LITERAL_HINT}")
                items.append(self.value(elt, env))
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            result = {}
            for key, val in zip(node.keys, node.values):
                if key is None:
                    self.fail(val, f"unpacking with ** cannot be read: {LITERAL_HINT}")
                k = self.literal(key, env)
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    self.fail(key, "a dict key must be a string or a number")
                result[k] = self.value(val, env)
            return result
        if isinstance(node, ast.Name):
            if node.id in env:
                value = env[node.id]
                if isinstance(value, _Function):
                    self.fail(node, f"the function '{node.id}' cannot be used as a value")
                return value
            if node.id in CONSTRUCTORS or node.id in self.aliases:
                self.fail(node, f"'{node.id}' must be called, as in {node.id}(...)")
            self.fail(
                node,
                f"'{node.id}' is not defined before this line: only variables "
                "bound earlier to the builder, a stream or a literal value can be used",
            )
        if isinstance(node, ast.JoinedStr):
            self.fail(node, "f-strings cannot be read: write the text as a plain string")
        if isinstance(node, (ast.BinOp, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.IfExp)):
            self.fail(
                node,
                "a computed value cannot be read: write its result as a literal "
                "(expressions over records go inside a string, e.g. \"value['a'] + 1\")",
            )
        if isinstance(node, ast.Lambda):
            self.fail(
                node,
                "a lambda cannot be read: write the expression as a string, "
                "e.g. \"value['amount'] > 100\"",
            )
        if isinstance(node, (ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)):
            self.fail(node, f"a comprehension cannot be read: {LITERAL_HINT}")
        if isinstance(node, ast.Attribute):
            self.fail(node, f"the attribute '{ast.unparse(node)}' cannot be read: {LITERAL_HINT}")
        self.fail(node, f"'{_short(node)}' cannot be read: {LITERAL_HINT}")

    def subscript(self, node: ast.Subscript, env: dict[str, Any]) -> Any:
        target = self.value(node.value, env)
        if not (
            isinstance(target, dict)
            and target
            and all(isinstance(v, api.KStream) for v in target.values())
        ):
            self.fail(
                node, 'only the result of .branch(...) can be indexed, as in order_size["large"]'
            )
        port = self.literal(node.slice, env)
        if port not in target:
            ports = ", ".join(str(p) for p in target)
            self.fail(node.slice, f"the branch has no port {port!r} (ports: {ports})")
        return target[port]

    def call(self, node: ast.Call, env: dict[str, Any]) -> Any:
        func = node.func
        if isinstance(func, ast.Name):
            name = self.aliases.get(func.id, func.id)
            if func.id in env or name not in CONSTRUCTORS:
                self.fail(
                    node,
                    f"a call of '{func.id}' cannot be read: only StreamsBuilder, "
                    "Aggregation, Branch, the window classes and the methods of "
                    "the builder and its streams can be called",
                )
            args, kwargs = self.arguments(node, env)
            if name == "StreamsBuilder":
                if self.builder is not None:
                    self.fail(node, "a second StreamsBuilder: a script holds one topology")
                self.builder = self.invoke(node, CONSTRUCTORS[name], name, args, kwargs)
                self.builder_line = node.lineno
                return self.builder
            return self.invoke(node, CONSTRUCTORS[name], name, args, kwargs)
        if isinstance(func, ast.Attribute):
            receiver = self.value(func.value, env)
            method = func.attr
            if isinstance(receiver, api.StreamsBuilder):
                allowed, kind = BUILDER_METHODS, "StreamsBuilder"
            elif isinstance(receiver, api.KStream):
                allowed, kind = STREAM_METHODS, "a stream"
            elif isinstance(receiver, api.GroupedStream):
                allowed, kind = GROUPED_METHODS, "a grouped stream"
            else:
                self.fail(
                    node,
                    f"'{_short(func)}' cannot be read: methods can be called only "
                    "on the builder, its streams and grouped streams",
                )
            if method not in allowed or not hasattr(receiver, method):
                self.fail(
                    func,
                    f"{kind} has no method '{method}' that a script can use "
                    f"(methods: {', '.join(sorted(allowed))})",
                )
            args, kwargs = self.arguments(node, env)
            if method == "build":
                self.invoke(node, _build_signature, "build", args, kwargs)
                return _Built()
            before = set(self.builder.topology.nodes) if self.builder else set()
            result = self.invoke(node, getattr(receiver, method), f"{method}", args, kwargs)
            if self.builder is not None:
                for node_id in set(self.builder.topology.nodes) - before:
                    self.node_lines[node_id] = node.lineno
            return result
        self.fail(node, f"'{_short(func)}' cannot be called: only the builder API can be")

    def arguments(self, node: ast.Call, env: dict[str, Any]) -> tuple[list, dict]:
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, "unpacking with * cannot be read: write the arguments out")
            args.append(self.value(arg, env))
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                self.fail(
                    kw.value, "unpacking with ** cannot be read: write the keyword arguments out"
                )
            kwargs[kw.arg] = self.value(kw.value, env)
        return args, kwargs

    def invoke(self, node: ast.Call, fn, label: str, args: list, kwargs: dict) -> Any:
        try:
            inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as exc:
            self.fail(node, f"{label}(): {exc}")
        for value in [*args, *kwargs.values()]:
            if isinstance(value, (_Built, _Function)):
                self.fail(node, f"{label}(): a built topology cannot be an argument")
        if "name" in kwargs and kwargs["name"] is not None and not isinstance(kwargs["name"], str):
            self.fail(node, f"{label}(): name must be a string")
        if label == "branch":
            self.check_branches(node, args[0] if args else kwargs.get("branches"))
        if label in ("window", "windowed_by"):
            window = args[0] if args else kwargs.get("window")
            if not isinstance(
                window,
                (dict, api.TumblingWindow, api.HoppingWindow, api.SessionWindow, api.SlidingWindow),
            ):
                self.fail(
                    node,
                    f"{label}() takes TumblingWindow(...), HoppingWindow(...), "
                    "SessionWindow(...), SlidingWindow(...) or a dict such as "
                    '{"type": "tumbling", "size": "1m"}',
                )
        if label in ("aggregate", "table_aggregate"):
            aggs = args[0] if args else kwargs.get("aggregations")
            if not isinstance(aggs, list) or not all(
                isinstance(a, (dict, api.Aggregation)) for a in aggs
            ):
                self.fail(
                    node,
                    "aggregate() takes a list of Aggregation(name, fn, expr, init) or "
                    '{"name": ..., "fn": ..., "expr": ...}',
                )
        try:
            return fn(*args, **kwargs)
        except ModelError as exc:
            self.fail(node, str(exc))
        except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
            detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            self.fail(node, f"{label}() cannot take these arguments: {detail}")


def _build_signature(*, check: bool = True) -> None:
    """The signature of StreamsBuilder.build, checked but not called."""


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
