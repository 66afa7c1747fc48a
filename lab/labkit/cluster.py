"""What the cluster looks like through the agents' REST APIs, and when it counts as healthy.

Healthy = exactly one node reports itself primary (`role` master/primary, state running), that
node's `/cluster` names it and only it as leader, and every other node is a running replica
that appears as `streaming` in the leader's `/patroni` `replication` list.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import urllib.error
import urllib.request

from .layout import HOST, LabSpec

PRIMARY_ROLES = ("master", "primary")


def rest(port: int, path: str, method: str = "GET", body=None,
         timeout: float = 2.0, host: str = HOST) -> tuple[int | None, object]:
    """(HTTP status, parsed JSON body or None); (None, None) when the API does not answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{host}:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (OSError, ValueError):  # refused, reset, timed out, malformed response
        return None, None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


@dataclasses.dataclass
class NodeView:
    number: int
    name: str
    status: int | None
    doc: dict | None

    @property
    def role(self) -> str | None:
        role = (self.doc or {}).get("role")
        return "primary" if role in PRIMARY_ROLES else role

    @property
    def state(self) -> str | None:
        return (self.doc or {}).get("state")

    @property
    def is_running_primary(self) -> bool:
        return self.role == "primary" and self.state == "running"

    def streaming_replicas(self) -> set[str]:
        return {r.get("application_name") for r in (self.doc or {}).get("replication") or []
                if r.get("state") == "streaming"}


def observe(spec: LabSpec, timeout: float = 2.0) -> list[NodeView]:
    """Every node's `GET /patroni`, asked in parallel."""
    def ask(n: int) -> NodeView:
        status, doc = rest(spec.rest_port(n), "/patroni", timeout=timeout, host=spec.node_host(n))
        return NodeView(n, spec.node_name(n), status, doc if isinstance(doc, dict) else None)

    with concurrent.futures.ThreadPoolExecutor(max_workers=spec.nodes) as pool:
        return list(pool.map(ask, spec.node_numbers()))


def cluster_members(spec: LabSpec, n: int, timeout: float = 2.0) -> list[dict] | None:
    status, doc = rest(spec.rest_port(n), "/cluster", timeout=timeout, host=spec.node_host(n))
    if status != 200 or not isinstance(doc, dict):
        return None
    return doc.get("members") or []


def health_problems(spec: LabSpec, views: list[NodeView] | None = None) -> list[str]:
    """Why the cluster is not healthy yet; an empty list means healthy."""
    views = views if views is not None else observe(spec)
    primaries = [v for v in views if v.is_running_primary]
    if len(primaries) != 1:
        names = ", ".join(v.name for v in primaries) or "none"
        return [f"{len(primaries)} running primaries ({names})"]
    leader = primaries[0]
    streaming = leader.streaming_replicas()
    problems = []
    for v in views:
        if v is leader:
            continue
        if v.status is None:
            problems.append(f"{v.name}: REST API not answering")
        elif v.role != "replica" or v.state != "running":
            problems.append(f"{v.name}: role {v.role}, state {v.state}")
        elif v.name not in streaming:
            problems.append(f"{v.name}: not streaming from {leader.name}")
    if not problems:
        members = cluster_members(spec, leader.number)
        leaders = [m.get("name") for m in members or [] if m.get("role") == "leader"]
        if leaders != [leader.name]:
            problems.append(f"{leader.name}'s /cluster names leader(s) {leaders}")
    return problems


def leader_name(spec: LabSpec, views: list[NodeView] | None = None) -> str | None:
    primaries = [v for v in (views or observe(spec)) if v.is_running_primary]
    return primaries[0].name if len(primaries) == 1 else None
