"""A small YAML writer for the lab's config files (block style, like the seed's files).

Handles dicts (insertion order kept), lists, strings, ints, floats, bools and None. Strings are
written plain when YAML would read them back as the same string, else double-quoted (JSON string
syntax is valid YAML), so `"on"` stays a string and `127.0.0.1:2379,...` stays plain.
"""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"^[A-Za-z0-9_/.][A-Za-z0-9_/.@:,+ -]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$")


def scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    plain = (_PLAIN.match(text) and text.lower() not in _RESERVED and not _NUMBER.match(text)
             and ": " not in text and not text.endswith((":", " ")))
    return text if plain else json.dumps(text)


def _lines(value, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{scalar(key)}:")
                out += _lines(item, indent + 2)
            else:
                out.append(f"{pad}{scalar(key)}: {_empty_or_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out += nested[1:]
            else:
                out.append(f"{pad}- {_empty_or_scalar(item)}")
    else:
        out.append(pad + scalar(value))
    return out


def _empty_or_scalar(item) -> str:
    if isinstance(item, dict):
        return "{}"
    if isinstance(item, list):
        return "[]"
    return scalar(item)


def dump(value, header: str = "") -> str:
    """The YAML text of `value`, preceded by `header` as '#' comment lines."""
    comments = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join(comments + _lines(value, 0)) + "\n"
