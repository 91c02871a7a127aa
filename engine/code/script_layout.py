"""A small layout engine for the exported script: literals written as ruff writes them,
and the subset of ``ruff format``'s rules the script needs (calls split one argument per
line, fluent chains, magic trailing commas), so a formatter run over an exported script
changes nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LINE_LENGTH = 88
INDENT = "    "


class ExportError(ValueError):
    """A topology that cannot be written as a script (e.g. a node whose input is missing)."""


# -- literals ------------------------------------------------------------------------


def string_literal(text: str) -> str:
    """A Python string literal for ``text`` that round-trips exactly, quoted as ruff
    quotes it: double quotes unless the text holds more double quotes than single."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable():
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def number_literal(value: float) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            raise ExportError("NaN cannot be written as a literal")
        if math.isinf(value):
            return "1e999" if value > 0 else "-1e999"
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
    return repr(value)


def literal(value) -> Doc:
    """The document of a JSON-like value (str, number, bool, None, list, dict)."""
    if value is None or isinstance(value, bool):
        return Atom(repr(value))
    if isinstance(value, str):
        return Atom(string_literal(value))
    if isinstance(value, (int, float)):
        return Atom(number_literal(value))
    if isinstance(value, (list, tuple)):
        return Seq("[", "]", [literal(v) for v in value])
    if isinstance(value, dict):
        return Seq("{", "}", [Entry(flat(literal(k)) + ": ", literal(v)) for k, v in value.items()])
    raise ExportError(f"{value!r} cannot be written as a literal")


# -- a small layout engine: the subset of ruff's rules that the script needs ----------------


class Doc:
    pass


@dataclass
class Atom(Doc):
    text: str


@dataclass
class Call(Doc):
    head: str
    args: list[Doc] = field(default_factory=list)


@dataclass
class Seq(Doc):
    open: str
    close: str
    items: list[Doc]


@dataclass
class Entry(Doc):
    """``name=value`` or ``"key": value``: a prefix glued to a value."""

    prefix: str
    value: Doc


@dataclass
class Chain(Doc):
    """``root.link(...).link(...)``; laid out one call per line when it does not fit."""

    root: Doc
    links: list[Call]


def flat(doc: Doc) -> str:
    if isinstance(doc, Atom):
        return doc.text
    if isinstance(doc, Call):
        return f"{doc.head}({', '.join(flat(a) for a in doc.args)})"
    if isinstance(doc, Seq):
        inner = ", ".join(flat(i) for i in doc.items)
        if doc.open == "(" and len(doc.items) == 1:
            inner += ","
        return f"{doc.open}{inner}{doc.close}"
    if isinstance(doc, Entry):
        return doc.prefix + flat(doc.value)
    if isinstance(doc, Chain):
        return flat(doc.root) + "".join(flat(link) for link in doc.links)
    raise TypeError(doc)


def fits(text: str) -> bool:
    return len(text) <= LINE_LENGTH


def _lines(doc: Doc, indent: str, prefix: str = "", suffix: str = "") -> list[str]:
    one = indent + prefix + flat(doc) + suffix
    if fits(one) or isinstance(doc, Atom):
        return [one]
    inner = indent + INDENT
    if isinstance(doc, Entry):
        return _lines(doc.value, indent, prefix + doc.prefix, suffix)
    if isinstance(doc, Call):
        return _split_call(doc, indent, prefix, suffix) if doc.args else [one]
    if isinstance(doc, Seq):
        head = [indent + prefix + doc.open]
        body = [ln for item in doc.items for ln in _lines(item, inner, "", ",")]
        return head + body + [indent + doc.close + suffix]
    if isinstance(doc, Chain):
        return _chain_lines(doc, indent, prefix, suffix)
    raise TypeError(doc)


def _split_call(call: Call, indent: str, prefix: str, suffix: str) -> list[str]:
    """``head(`` / the arguments, on one line if they fit, else one per line / ``)``."""
    inner = indent + INDENT
    head = [indent + prefix + call.head + "("]
    tail = [indent + ")" + suffix]
    if len(call.args) == 1:
        return head + _lines(call.args[0], inner) + tail
    body = inner + ", ".join(flat(a) for a in call.args)
    if fits(body):
        return head + [body] + tail
    return head + [ln for a in call.args for ln in _lines(a, inner, "", ",")] + tail


def _fluent(chain: Chain) -> bool:
    """Whether ruff lays the chain out one call per line: two or more attribute calls
    that follow a call or a subscript."""
    after_call = len(chain.links) - 1
    if flat(chain.root).endswith(("]", ")")):
        after_call += 1
    return after_call >= 2


def _chain_lines(chain: Chain, indent: str, prefix: str, suffix: str) -> list[str]:
    if not _fluent(chain):
        # ``name.first(...).last(...)``: split the last call's arguments when the line
        # up to them fits, else the first call's, and lay out the rest after ``)``.
        head = flat(chain.root) + "".join(flat(link) for link in chain.links[:-1])
        last = chain.links[-1]
        if fits(indent + prefix + head + last.head + "(") or len(chain.links) != 2:
            return _lines(Call(head + last.head, last.args), indent, prefix, suffix)
        first = chain.links[0]
        opened = _split_call(Call(flat(chain.root) + first.head, first.args), indent, prefix, "")
        closing = _lines(Call(")" + last.head, last.args), indent, "", suffix)
        return opened[:-1] + closing
    inner = indent + INDENT
    root = flat(chain.root)
    links = list(chain.links)
    out = [indent + prefix + "("]
    if fits(inner + flat(chain)):
        return out + [inner + flat(chain), indent + ")" + suffix]
    if root.endswith(("]", ")")):
        out.append(inner + root)  # a call or subscript root stands on its own line
    else:
        first = links.pop(0)  # ``name.first(...)`` stays together
        out += _lines(Call(root + first.head, first.args), inner)
    for link in links:
        out += _lines(link, inner)
    out.append(indent + ")" + suffix)
    return out


def statement(doc: Doc, target: str | None = None) -> list[str]:
    prefix = f"{target} = " if target else ""
    return _lines(doc, INDENT, prefix)
