"""Plain YAML for manifests, without a YAML library: block mappings and sequences, scalars plain
when YAML reads them back as the same string and JSON-quoted otherwise (a JSON string is a
valid YAML double-quoted scalar). Enough for Kubernetes and compose files, which are data."""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"[A-Za-z_/.][A-Za-z0-9_./@+-]*(:[A-Za-z0-9_./@+-]+)*")
# Words YAML 1.1 readers (PyYAML, Kubernetes' go-yaml v2 heritage) take for something else.
_RESERVED = frozenset(
    "y n yes no on off true false null ~ Y N Yes No On Off True False Null YES NO ON OFF "
    "TRUE FALSE NULL".split()
)


def scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text not in _RESERVED and not text.endswith(":"):
        return text
    return json.dumps(text, ensure_ascii=False)


def dump(data, indent: int = 0) -> str:
    """``data`` (dicts, lists, scalars) as block YAML ending in a newline."""
    return "".join(line + "\n" for line in _lines(data, indent))


def _lines(data, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(value, (dict, list)) and value:
                out.append(head)
                out += _lines(value, indent + 2)
            else:
                out.append(f"{head} {_inline(value)}")
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, (dict, list)) and item:
                inner = _lines(item, indent + 2)
                out.append(f"{pad}- {inner[0].lstrip()}")
                out += inner[1:]
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(pad + scalar(data))
    return out


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)
