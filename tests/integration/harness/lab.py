"""Lab: a real cluster (lab/pglab.py's) for one integration test or benchmark.

    with Lab(agent="patroni", profile="fast") as lab:
        old = lab.leader()
        lab.kill(old, "KILL", with_postgres=True)
        new = lab.wait_until(lambda: lab.leader() not in (None, old), 60, "a new leader")

Up/down run in-process through labkit (the launcher's own code), so a test sees the same ports,
paths and process records as `./dev lab`. Every wait is bounded. Set PGHALO_KEEP_LAB=1 to keep a
failed test's lab directory (processes are stopped either way).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "lab"))

from labkit import cluster, etcd, netns, ops, procs  # noqa: E402
from labkit.layout import LAB_PASSWORD, LAB_ROLE, LabError, build_spec  # noqa: E402
from labkit.state import State  # noqa: E402

from . import pg  # noqa: E402

# Tests pick base ports here, one lab at a time per base (each lab uses base+11..base+53).
PORT_RANGE = (18100, 19000, 100)


def free_base_port() -> int:
    """$PGHALO_LAB_BASE_PORT, else the first base in PORT_RANGE whose ports are all free and
    whose network namespaces (netns mode) do not exist."""
    if os.environ.get("PGHALO_LAB_BASE_PORT"):
        return int(os.environ["PGHALO_LAB_BASE_PORT"])
    taken = set(netns.existing_namespaces()) if os.geteuid() == 0 else set()
    for base in range(*PORT_RANGE):
        probe = build_spec(agent="patroni", base_port=base)
        names = set(netns.NetPlan(base, probe.nodes).namespaces())
        if all(ops.port_free(p) for p in probe.all_ports()) and not names & taken:
            return base
    raise LabError(f"no free base port in {PORT_RANGE[0]}..{PORT_RANGE[1]}")


def _conninfo_value(value) -> str:
    text = str(value)
    if text and not any(c in text for c in " '\\"):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def wait_until(predicate, timeout: float, what: str = "condition", interval: float = 0.1):
    """Polls `predicate()` until it returns a truthy value, which is returned.

    Raises TimeoutError naming `what` (and the last exception the predicate raised, if any).
    """
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # a node down mid-poll is expected; keep polling
            last_error = e
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def _raise_system_exit(signum, _frame):
    raise SystemExit(128 + signum)


class Lab:
    """One lab. Use as a context manager, or call up()/down() yourself."""

    def __init__(self, agent: str = "patroni", base_port: int | None = None,
                 profile: str = "fast", wait_timeout: float = 120.0, **options):
        self.base_port = base_port or free_base_port()
        self.spec = build_spec(agent=agent, base_port=self.base_port, profile=profile, **options)
        self.wait_timeout = wait_timeout
        self.state: State | None = None
        self._owned = True
        self._old_sigterm = None

    @classmethod
    def attach(cls, lab_dir: str | os.PathLike) -> "Lab":
        """A running lab (started by `./dev lab up`); leaving the `with` block keeps it up."""
        lab = cls.__new__(cls)
        lab.state = State.load(lab_dir)
        lab.spec = lab.state.spec
        lab.base_port = lab.spec.base_port
        lab.wait_timeout = 120.0
        lab._owned = False
        lab._old_sigterm = None
        return lab

    # Lifecycle.
    def up(self) -> "Lab":
        self.state = ops.up(self.spec, self.wait_timeout, out=None)
        return self

    def down(self, keep: bool = False) -> None:
        if self.state is not None:
            ops.down(Path(self.spec.dir), keep=keep, out=None)
            self.state = None

    def __enter__(self) -> "Lab":
        if not self._owned:
            return self
        # A runner's SIGTERM (a timeout) must still reach __exit__, or the lab outlives the test.
        self._old_sigterm = None
        if threading.current_thread() is threading.main_thread():
            self._old_sigterm = signal.signal(signal.SIGTERM, _raise_system_exit)
        try:
            return self.up()
        except BaseException:
            self._restore_sigterm()
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._owned:
            return
        try:
            if exc_type is not None:
                for node in self.nodes:  # what the agents said, for the failed test's output
                    print(f"--- {node} agent log (last lines) ---\n{self.log_tail(node, 25)}",
                          file=sys.stderr)
            self.down(keep=exc_type is not None and os.environ.get("PGHALO_KEEP_LAB") == "1")
        finally:
            self._restore_sigterm()

    def _restore_sigterm(self) -> None:
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    # Names.
    @property
    def nodes(self) -> list[str]:
        return [self.spec.node_name(n) for n in self.spec.node_numbers()]

    def number(self, node: str | int) -> int:
        return self.spec.node_number(node)

    def pg_port(self, node: str | int) -> int:
        return self.spec.pg_port(self.number(node))

    # REST and cluster view.
    def rest(self, node: str | int, path: str, method: str = "GET", body=None,
             timeout: float = 2.0) -> tuple[int | None, object]:
        n = self.number(node)
        return cluster.rest(self.spec.rest_port(n), path, method, body, timeout,
                            host=self.spec.node_host(n))

    def views(self) -> list[cluster.NodeView]:
        return cluster.observe(self.spec)

    def leader(self) -> str | None:
        """The one node whose PostgreSQL runs as primary (REST), or None."""
        return cluster.leader_name(self.spec)

    def leader_key(self) -> str | None:
        """The leader key's value in etcd (LabError if etcd cannot answer)."""
        return etcd.get_value(self.spec, self.spec.leader_key())

    def replicas(self) -> list[str]:
        return [v.name for v in self.views() if v.role == "replica" and v.state == "running"]

    def streaming_replicas(self) -> set[str]:
        """Names the leader's /patroni `replication` list shows as streaming."""
        views = self.views()
        primaries = [v for v in views if v.is_running_primary]
        return primaries[0].streaming_replicas() if len(primaries) == 1 else set()

    def health_problems(self) -> list[str]:
        return cluster.health_problems(self.spec)

    def wait_healthy(self, timeout: float = 120.0) -> None:
        ops.wait_healthy(self.state, timeout)

    @staticmethod
    def wait_until(predicate, timeout: float, what: str = "condition", interval: float = 0.1):
        return wait_until(predicate, timeout, what, interval)

    # SQL.
    def dsn(self, node: str | int, via: str = "tcp", **extra) -> str:
        """libpq conninfo: "tcp" as the lab role with a password, "socket" as postgres (trust)."""
        n = self.number(node)
        if via == "socket":
            parts = {"host": self.spec.socket_dir(n), "user": "postgres"}
        else:
            parts = {"host": self.spec.node_host(n), "user": LAB_ROLE, "password": LAB_PASSWORD}
        parts.update(port=self.spec.pg_port(n), dbname="postgres", application_name="pghalo-test")
        parts.update(extra)
        return " ".join(f"{k}={_conninfo_value(v)}" for k, v in parts.items())

    def sql(self, node: str | int, query: str, params=None, timeout: float = 5.0) -> list[tuple]:
        """Runs one statement (autocommit) as postgres over the node's socket; returns rows."""
        if pg.psycopg2 is None:
            if params:
                raise LabError("sql() with params needs psycopg2")
            out = ops.run_sql(self.spec, self.number(node), query, timeout)
            return [tuple(line.split("|")) for line in out.splitlines()]
        conn = pg.connect_async(self.dsn(node, via="socket"), min(timeout, 2.0))
        try:
            return pg.execute_async(conn, query, params, timeout)
        finally:
            conn.close()

    # Faults and operations (by pid, through the launcher's code).
    def kill(self, node: str | int, signal: str = "KILL", with_postgres: bool = False) -> dict:
        return ops.kill_node(self.state, self.number(node), signal, with_postgres)

    def stop_agent(self, node: str | int, timeout: float = ops.AGENT_STOP_TIMEOUT) -> bool:
        return ops.stop_agent(self.state, self.number(node), timeout)

    def start_agent(self, node: str | int) -> dict:
        return ops.start_agent(self.state, self.number(node))

    def stop_etcd(self, member: int) -> bool:
        return ops.stop_etcd(self.state, member)

    def start_etcd(self, member: int) -> None:
        ops.start_etcd(self.state, member)

    # Network cuts (netns labs only).
    def cut(self, node: str | int, target: str, one_way: str | None = None):
        """Cuts node from target ("all", "etcd", "peers", "host", "node:M"); see labkit.netns."""
        return ops.cut(self.state, self.number(node), target, one_way)

    def heal(self, node: str | int | None = None) -> None:
        ops.heal(self.state, None if node is None else self.number(node))

    def active_cuts(self) -> dict[int, list[str]]:
        return ops.active_cuts(self.state)

    def agent_alive(self, node: str | int) -> bool:
        return procs.alive(self.state.procs.get(f"agent{self.number(node)}"))

    def log_size(self, node: str | int) -> int:
        """The agent log's length now: pass it to log_since to read what comes after."""
        try:
            return self.spec.agent_log(self.number(node)).stat().st_size
        except OSError:
            return 0

    def log_since(self, node: str | int, offset: int) -> str:
        try:
            with open(self.spec.agent_log(self.number(node)), "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, node: str | int, lines: int = 40) -> str:
        return procs.log_tail(self.spec.agent_log(self.number(node)), lines)
