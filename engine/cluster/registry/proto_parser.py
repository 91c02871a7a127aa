"""A small ``.proto`` parser (the protobuf package has none) for what schemas contain:
``syntax``, ``package``, ``import``, messages (nested), fields with their labels, scalar,
message and enum types and numbers, ``map<K, V>``, ``oneof``, proto3 ``optional``, enums,
services with their rpcs, ``reserved`` ranges and names, and the field options
``default``, ``json_name``, ``packed`` and ``deprecated``; other options are read and
ignored; groups, ``extend`` blocks and editions are refused. Type names are resolved as
protoc resolves them, against the file, its imports and google's well-known types.
Blocks nest at most ``MAX_DEPTH`` deep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as FIELD
from google.protobuf.descriptor_pb2 import FileDescriptorProto as FDP

SCALARS = {
    "double": FIELD.TYPE_DOUBLE,
    "float": FIELD.TYPE_FLOAT,
    "int64": FIELD.TYPE_INT64,
    "uint64": FIELD.TYPE_UINT64,
    "int32": FIELD.TYPE_INT32,
    "fixed64": FIELD.TYPE_FIXED64,
    "fixed32": FIELD.TYPE_FIXED32,
    "bool": FIELD.TYPE_BOOL,
    "string": FIELD.TYPE_STRING,
    "bytes": FIELD.TYPE_BYTES,
    "uint32": FIELD.TYPE_UINT32,
    "sfixed32": FIELD.TYPE_SFIXED32,
    "sfixed64": FIELD.TYPE_SFIXED64,
    "sint32": FIELD.TYPE_SINT32,
    "sint64": FIELD.TYPE_SINT64,
}
SCALAR_NAMES = {number: name for name, number in SCALARS.items()}
LABELS = {
    "optional": FIELD.LABEL_OPTIONAL,
    "required": FIELD.LABEL_REQUIRED,
    "repeated": FIELD.LABEL_REPEATED,
}
PACKAGE = -1  # a package name among the types, for name lookup
MAX_DEPTH = 64  # nested messages and blocks
_TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/
    |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<num>-?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|nan)\b)
    |(?P<id>\.?[A-Za-z_][\w.]*)
    |(?P<sym>[{}\[\]()<>;=,:])
    |(?P<bad>.)""",
    re.DOTALL | re.VERBOSE,
)


class ProtoSyntaxError(ValueError):
    """Text that is not a ``.proto`` file this parser reads; the message says where."""


def well_known(fdp: FDP, dependencies: Iterable[FDP]) -> list[FDP]:
    """The google/protobuf/*.proto files ``fdp`` and its dependencies import, which
    clients never send as references."""
    from google.protobuf import descriptor_pool as pools

    known = {d.name for d in dependencies}
    wanted = [n for f in [fdp, *dependencies] for n in f.dependency if n not in known]
    found: list[FDP] = []
    for name in wanted:
        if not name.startswith("google/protobuf/"):
            continue
        try:
            _import_well_known(name)
            desc = pools.Default().FindFileByName(name)
        except (KeyError, ImportError):
            continue
        proto = FDP()
        desc.CopyToProto(proto)
        found.append(proto)
    return found


def _import_well_known(name: str) -> None:
    import importlib

    module = name.removesuffix(".proto").replace("/", ".") + "_pb2"
    importlib.import_module(module)


class _Tokens:
    """The tokens of a ``.proto`` text, read one by one, with the line each is on."""

    def __init__(self, text: str):
        self.tokens: list[tuple[str, str, int]] = []
        line = 1
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            if kind == "bad":
                raise ProtoSyntaxError(f"line {line}: unexpected character {m.group()!r}")
            if kind is not None:
                self.tokens.append((kind, m.group(), line))
            line += m.group().count("\n")
        self.pos = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> str | None:
        i = self.pos + ahead
        return self.tokens[i][1] if i < len(self.tokens) else None

    def line(self) -> int:
        return self.tokens[min(self.pos, len(self.tokens) - 1)][2] if self.tokens else 1

    def next(self) -> str:
        if self.pos >= len(self.tokens):
            raise ProtoSyntaxError("unexpected end of the schema")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def expect(self, text: str) -> None:
        line = self.line()
        got = self.next()
        if got != text:
            raise ProtoSyntaxError(f"line {line}: expected '{text}', found '{got}'")

    def ident(self) -> str:
        line = self.line()
        kind = self.tokens[self.pos][0] if self.pos < len(self.tokens) else None
        got = self.next()
        if kind != "id":
            raise ProtoSyntaxError(f"line {line}: expected a name, found '{got}'")
        return got

    def integer(self) -> int:
        line = self.line()
        got = self.next()
        try:
            return int(got, 0)
        except ValueError:
            raise ProtoSyntaxError(f"line {line}: expected a number, found '{got}'") from None

    def string(self) -> str:
        line = self.line()
        got = self.next()
        if got[:1] not in ("'", '"'):
            raise ProtoSyntaxError(f"line {line}: expected a quoted string, found '{got}'")
        return got[1:-1]

    def enter(self) -> None:
        self.expect("{")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ProtoSyntaxError(f"line {self.line()}: nested deeper than {MAX_DEPTH} levels")

    def skip_block(self) -> None:
        self.enter()
        while True:
            word = self.next()
            if word == "{":
                self.pos -= 1
                self.skip_block()
            elif word == "}":
                self.depth -= 1
                return


class ProtoParser(_Tokens):
    """Reads one ``.proto`` text into a FileDescriptorProto named ``name``; ``deps`` are the
    files it imports."""

    def __init__(self, text: str, name: str, deps: list[FDP]):
        super().__init__(text)
        self.fdp = FDP(name=name)
        self.deps = deps
        # (field, scope) whose type names are resolved once every type is known
        self.unresolved: list[tuple[descriptor_pb2.FieldDescriptorProto, str]] = []

    # -- file

    def parse(self) -> FDP:
        fdp = self.fdp
        while self.peek() is not None:
            word = self.next()
            if word == ";":
                continue
            if word == "syntax":
                self.expect("=")
                fdp.syntax = self.string()
                if fdp.syntax not in ("proto2", "proto3"):
                    raise ProtoSyntaxError(f"unknown syntax '{fdp.syntax}'")
                self.expect(";")
            elif word == "edition":
                raise ProtoSyntaxError("editions are not supported; use syntax proto2 or proto3")
            elif word == "package":
                fdp.package = self.ident()
                self.expect(";")
            elif word == "import":
                if self.peek() in ("public", "weak"):
                    kind = self.next()
                    index = len(fdp.dependency)
                    (fdp.public_dependency if kind == "public" else fdp.weak_dependency).append(
                        index
                    )
                fdp.dependency.append(self.string())
                self.expect(";")
            elif word == "option":
                self.option_statement()
            elif word == "message":
                self.message(fdp.message_type.add(), self.scope())
            elif word == "enum":
                self.enum(fdp.enum_type.add())
            elif word == "service":
                self.service(fdp.service.add())
            elif word == "extend":
                raise ProtoSyntaxError(f"line {self.line()}: extend blocks are not supported")
            else:
                raise ProtoSyntaxError(f"line {self.line()}: unexpected '{word}'")
        if not fdp.syntax:
            fdp.syntax = "proto2"
        if fdp.syntax == "proto2":
            fdp.ClearField("syntax")  # as protoc writes proto2 files
        _resolve(self.fdp, self.deps, self.unresolved)
        return fdp

    def scope(self) -> str:
        return f".{self.fdp.package}" if self.fdp.package else ""

    def option_statement(self) -> None:
        # option (name).x = value;  -- read, ignored
        while self.next() != ";":
            if self.peek() == "{":
                self.skip_block()

    # -- messages

    def message(self, msg: descriptor_pb2.DescriptorProto, parent: str) -> None:
        msg.name = self.ident()
        scope = f"{parent}.{msg.name}"
        self.enter()
        while (word := self.next()) != "}":
            if word == ";":
                continue
            if word == "message":
                self.message(msg.nested_type.add(), scope)
            elif word == "enum":
                self.enum(msg.enum_type.add())
            elif word == "oneof":
                self.oneof(msg, scope)
            elif word == "option":
                self.option_statement()
            elif word == "reserved":
                self.reserved(msg.reserved_range, msg.reserved_name, end_exclusive=True)
            elif word == "extensions":
                self.reserved(msg.extension_range, None, end_exclusive=True)
            elif word in ("extend", "group") or self.peek() == "group":
                raise ProtoSyntaxError(
                    f"line {self.line()}: groups and extend blocks are not supported"
                )
            elif word == "map":
                self.map_field(msg, scope)
            else:
                self.pos -= 1
                self.field(msg, scope, msg.field.add())
        self.depth -= 1
        for field in msg.field:  # synthetic oneofs come after the declared ones
            if field.proto3_optional:
                field.oneof_index = len(msg.oneof_decl)
                msg.oneof_decl.add(name=f"_{field.name}")

    def field(
        self,
        msg: descriptor_pb2.DescriptorProto,
        scope: str,
        field: descriptor_pb2.FieldDescriptorProto,
        in_oneof: bool = False,
    ) -> None:
        proto3 = self.fdp.syntax == "proto3"
        label = LABELS.get(self.peek() or "")
        if label is not None and not in_oneof:
            self.next()
        if label == FIELD.LABEL_OPTIONAL and proto3:
            field.proto3_optional = True
        if label == FIELD.LABEL_REQUIRED and proto3:
            raise ProtoSyntaxError(f"line {self.line()}: required fields are not allowed in proto3")
        if label is None and not proto3 and not in_oneof:
            raise ProtoSyntaxError(
                f"line {self.line()}: a proto2 field needs a label (optional, required, repeated)"
            )
        field.label = label or FIELD.LABEL_OPTIONAL
        self.typed(field, self.ident(), scope)
        field.name = self.ident()
        self.expect("=")
        field.number = self.integer()
        if self.peek() == "[":
            self.field_options(field)
        self.expect(";")

    def typed(self, field: descriptor_pb2.FieldDescriptorProto, name: str, scope: str) -> None:
        if name in SCALARS:
            field.type = SCALARS[name]
        else:
            field.type_name = name
            self.unresolved.append((field, scope))

    def field_options(self, field: descriptor_pb2.FieldDescriptorProto) -> None:
        self.expect("[")
        while True:
            name = self.next()
            if name == "(":
                name = f"({self.ident()})"
                self.expect(")")
                while self.peek() not in ("=", None):
                    name += self.next()
            self.expect("=")
            value = self.next()
            if value == "{":
                self.pos -= 1
                self.skip_block()
            if name == "default":
                field.default_value = value[1:-1] if value[:1] in "'\"" else value
            elif name == "json_name":
                field.json_name = value[1:-1]
            elif name == "packed":
                field.options.packed = value == "true"
            elif name == "deprecated":
                field.options.deprecated = value == "true"
            if self.next() == "]":
                return

    def map_field(self, msg: descriptor_pb2.DescriptorProto, scope: str) -> None:
        self.expect("<")
        key_type = self.ident()
        self.expect(",")
        value_type = self.ident()
        self.expect(">")
        field = msg.field.add(label=FIELD.LABEL_REPEATED)
        field.name = self.ident()
        self.expect("=")
        field.number = self.integer()
        if self.peek() == "[":
            self.field_options(field)
        self.expect(";")
        entry_name = "".join(p[:1].upper() + p[1:] for p in field.name.split("_")) + "Entry"
        entry = msg.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        entry_scope = f"{scope}.{entry_name}"
        key = entry.field.add(name="key", number=1, label=FIELD.LABEL_OPTIONAL)
        self.typed(key, key_type, entry_scope)
        value = entry.field.add(name="value", number=2, label=FIELD.LABEL_OPTIONAL)
        self.typed(value, value_type, entry_scope)
        field.type = FIELD.TYPE_MESSAGE
        field.type_name = f"{scope}.{entry_name}"

    def oneof(self, msg: descriptor_pb2.DescriptorProto, scope: str) -> None:
        index = len(msg.oneof_decl)
        msg.oneof_decl.add(name=self.ident())
        self.enter()
        while (word := self.peek()) != "}":
            if word == "option":
                self.next()
                self.option_statement()
            elif word == ";":
                self.next()
            else:
                field = msg.field.add()
                self.field(msg, scope, field, in_oneof=True)
                field.oneof_index = index
        self.next()
        self.depth -= 1

    def reserved(self, ranges, names, end_exclusive: bool) -> None:
        while True:
            ahead = self.peek()
            if ahead is not None and ahead[:1] in ("'", '"'):
                if names is not None:
                    names.append(self.string())
                else:
                    self.next()
            else:
                start = self.integer()
                end = start
                if self.peek() == "to":
                    self.next()
                    end = 536870911 if self.peek() == "max" and self.next() else self.integer()
                ranges.add(start=start, end=end + 1 if end_exclusive else end)
            if self.peek() == "[":
                while self.next() != "]":
                    pass
            if self.next() == ";":
                return

    # -- enums and services

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto) -> None:
        enum.name = self.ident()
        self.enter()
        while (word := self.next()) != "}":
            if word == ";":
                continue
            if word == "option":
                self.option_statement()
            elif word == "reserved":
                self.reserved(enum.reserved_range, enum.reserved_name, end_exclusive=False)
            else:
                value = enum.value.add(name=word)
                self.expect("=")
                value.number = self.integer()
                if self.peek() == "[":
                    while self.next() != "]":
                        pass
                self.expect(";")
        self.depth -= 1

    def service(self, service: descriptor_pb2.ServiceDescriptorProto) -> None:
        service.name = self.ident()
        self.enter()
        while (word := self.next()) != "}":
            if word == ";":
                continue
            if word == "option":
                self.option_statement()
                continue
            if word != "rpc":
                raise ProtoSyntaxError(f"line {self.line()}: unexpected '{word}' in a service")
            method = service.method.add(name=self.ident())
            for direction in ("input", "output"):
                if direction == "output":
                    self.expect("returns")
                self.expect("(")
                if self.peek() == "stream":
                    self.next()
                    setattr(
                        method, f"{'client' if direction == 'input' else 'server'}_streaming", True
                    )
                setattr(method, f"{direction}_type", self.qualify(self.ident(), self.scope()))
                self.expect(")")
            if self.peek() == "{":
                self.skip_block()
            else:
                self.expect(";")
        self.depth -= 1

    def qualify(self, name: str, scope: str) -> str:
        return name if name.startswith(".") else f"{scope}.{name}"


def _known_types(fdp: FDP, deps: list[FDP]) -> dict[str, int]:
    types: dict[str, int] = {}

    def walk(package: str, messages, enums) -> None:
        for enum in enums:
            types[f"{package}.{enum.name}"] = FIELD.TYPE_ENUM
        for msg in messages:
            name = f"{package}.{msg.name}"
            types[name] = FIELD.TYPE_MESSAGE
            walk(name, msg.nested_type, msg.enum_type)

    for f in [fdp, *deps, *well_known(fdp, deps)]:
        walk(f".{f.package}" if f.package else "", f.message_type, f.enum_type)
        parts = f.package.split(".") if f.package else []
        for i in range(1, len(parts) + 1):
            types.setdefault("." + ".".join(parts[:i]), PACKAGE)
    return types


def _resolve(fdp: FDP, deps: list[FDP], unresolved: list) -> None:
    """Qualify the type names of ``unresolved`` (field, scope) pairs as protoc does."""
    types = _known_types(fdp, deps)
    for field, scope in unresolved:
        name = field.type_name
        found = None
        if name.startswith("."):
            found = name if types.get(name, PACKAGE) != PACKAGE else None
        else:
            parts = scope.split(".")
            first = name.split(".")[0]
            # As protoc: the innermost scope that defines the first part of the name.
            for i in range(len(parts), 0, -1):
                base = ".".join(parts[:i])
                if f"{base}.{first}" in types:
                    candidate = f"{base}.{name}"
                    found = candidate if types.get(candidate, PACKAGE) != PACKAGE else None
                    break
        if found is None:
            raise ProtoSyntaxError(f"type '{name}' of field '{field.name}' is not defined")
        field.type_name = found
        field.type = types[found]
