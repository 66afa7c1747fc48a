"""What a live Patroni 3.0.2 cluster answered (tests/data/patroni-fixtures), and how an answer
of ours is compared with it: status code, content type, and the shape of the JSON (field names
and value types, recursively), since values such as LSNs and times differ from run to run.
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "patroni-fixtures"


def status_codes(situation: str, role: str) -> list[dict]:
    """[{"path", "status", "method"?, "content_type"?}] as Patroni answered them."""
    return json.loads((FIXTURES / situation / "rest" / role / "status-codes.json").read_text())


def recorded(situation: str, role: str, path: str) -> dict:
    name = "root" if path == "/" else path.strip("/")
    return json.loads((FIXTURES / situation / "rest" / role / f"{name}.json").read_text())


def metric_names(situation: str, role: str) -> set[str]:
    text = (FIXTURES / situation / "rest" / role / "metrics.txt").read_text()
    return {line.split("{")[0].split()[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def shape(value):
    """Field names and JSON types, recursively; lists by the shape of their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return "string"


def shape_differences(ours, theirs, where: str = "") -> list[str]:
    """Where the shapes of two JSON values differ (empty: same shape). `null` matches any type
    (e.g. replayed_timestamp is null until a transaction has been replayed)."""
    a, b = shape(ours), shape(theirs)
    return _diff(a, b, where or "body")


def _diff(a, b, where: str) -> list[str]:
    if "null" in (a, b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only in ours" for k in a.keys() - b.keys()]
        out += [f"{where}.{k}: only in Patroni's" for k in b.keys() - a.keys()]
        for k in a.keys() & b.keys():
            out += _diff(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        return _diff(a[0], b[0], f"{where}[0]") if a and b else []
    return [] if a == b else [f"{where}: {a} in ours, {b} in Patroni's"]
