"""HAProxy in front of the lab: the standard Patroni configuration on the lab's ports.

  write port -> the one node whose REST API answers `OPTIONS /primary` with 200
  read port  -> every node answering `OPTIONS /replica` with 200, round robin
  stats page -> http://127.0.0.1:<stats port>/
Health checks go to each node's REST port; traffic goes to its PostgreSQL port.
"""

from __future__ import annotations

from .layout import LabSpec

CHECK_DEFAULTS = "inter 3s fall 3 rise 2 on-marked-down shutdown-sessions"


def _servers(spec: LabSpec) -> list[str]:
    return [f"    server {spec.node_name(n)} {spec.node_host(n)}:{spec.pg_port(n)} maxconn 100 "
            f"check port {spec.rest_port(n)}" for n in spec.node_numbers()]


def render_config(spec: LabSpec) -> str:
    lines = [
        f"# HAProxy for the pghalo lab on base port {spec.base_port}, written by lab/pglab.py.",
        "global",
        "    maxconn 200",
        "",
        "defaults",
        "    mode tcp",
        "    retries 2",
        "    timeout client 30m",
        "    timeout connect 4s",
        "    timeout server 30m",
        "    timeout check 5s",
        "",
        "listen stats",
        "    mode http",
        f"    bind {spec.observer_host}:{spec.haproxy_stats_port}",
        "    stats enable",
        "    stats uri /",
        "    stats refresh 2s",
        "",
        "listen primary",
        f"    bind {spec.observer_host}:{spec.haproxy_write_port}",
        "    option httpchk OPTIONS /primary",
        "    http-check expect status 200",
        f"    default-server {CHECK_DEFAULTS}",
        *_servers(spec),
        "",
        "listen replicas",
        f"    bind {spec.observer_host}:{spec.haproxy_read_port}",
        "    balance roundrobin",
        "    option httpchk OPTIONS /replica",
        "    http-check expect status 200",
        f"    default-server {CHECK_DEFAULTS}",
        *_servers(spec),
    ]
    return "\n".join(lines) + "\n"


def server_states(csv_text: str) -> dict[str, dict[str, str]]:
    """From the stats page's CSV: {"primary"|"replicas": {server name: "UP"|"DOWN"|...}}."""
    states: dict[str, dict[str, str]] = {}
    lines = csv_text.splitlines()
    if not lines:
        return states
    header = lines[0].lstrip("# ").split(",")
    col = {name: i for i, name in enumerate(header)}
    for line in lines[1:]:
        fields = line.split(",")
        if len(fields) < len(header):
            continue
        proxy, server = fields[col["pxname"]], fields[col["svname"]]
        if proxy in ("primary", "replicas") and server not in ("FRONTEND", "BACKEND"):
            states.setdefault(proxy, {})[server] = fields[col["status"]]
    return states
