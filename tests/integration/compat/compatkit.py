"""Helpers for the drop-in tests: labs whose nodes run Patroni's own YAML, the real patronictl,
raw REST calls with Basic auth, agent swaps (a node moving from Patroni to pghalo on the same
data directory and YAML), and a probe of HAProxy's ports.

Every node's YAML is the lab's Patroni flavour (`etcd3:`, `postgresql.authentication`) plus
`restapi.authentication`, whichever agent runs it: pghalo must take Patroni's file unchanged,
and the real patronictl then reads the same file (scope, etcd3, REST credentials) as operators
do with `patronictl -c /etc/patroni/postgresql.yml`.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import http.client
import json
import os
import subprocess
import threading
import time
import unittest

from harness import pg
from harness.lab import Lab, wait_until
from labkit import etcd, nodeconf, ops, procs
from labkit.layout import LAB_PASSWORD, LAB_ROLE, SCOPE, pghalo_bin

PATRONICTL = "/usr/bin/patronictl"
PATRONI = "/usr/bin/patroni"
API_USER = "halo-admin"
API_PASSWORD = "halo-api-secret"


def tools_missing() -> str | None:
    """Why these tests cannot run here (None: they can)."""
    if pg.psycopg2 is None:
        return "psycopg2 is not importable (python3-psycopg2)"
    for tool in (PATRONICTL, PATRONI):
        if not os.access(tool, os.X_OK):
            return f"{tool} is missing (Debian's patroni package)"
    if not os.access(pghalo_bin(), os.X_OK):
        return f"pghalo is not built ({pghalo_bin()})"
    return None


@contextlib.contextmanager
def _rest_auth_in_node_yaml():
    """While the lab starts, every node's YAML also gets restapi.authentication. (The lab has
    no option for it; wrapping its YAML renderer here keeps this suite's needs out of labkit.)"""
    original = nodeconf.node_config

    def with_auth(spec, n):
        config = original(spec, n)
        config["restapi"]["authentication"] = {"username": API_USER, "password": API_PASSWORD}
        return config

    nodeconf.node_config = with_auth
    try:
        yield
    finally:
        nodeconf.node_config = original


class CompatLab(Lab):
    """A lab whose nodes run Patroni's YAML (with REST auth) under the agents named per node.

    Every node first starts under one binary (Patroni if any node is a Patroni node, else
    pghalo); the nodes of the other kind then move to it one at a time, as a migration does:
    stop the agent (it stops PostgreSQL), start the other on the same YAML and data directory.
    Restart killed nodes with this class's start_agent(), which knows each node's kind.
    """

    def __init__(self, agents: tuple[str, ...] = ("pghalo", "pghalo", "pghalo"), **options):
        self.agents = {n + 1: kind for n, kind in enumerate(agents)}
        first = PATRONI if "patroni" in agents else pghalo_bin()
        super().__init__(agent="patroni", agent_bin=first, profile="fast", nodes=len(agents),
                         **options)

    def up(self) -> "CompatLab":
        with _rest_auth_in_node_yaml():
            super().up()
        first = self.spec.agent_bin
        for n, kind in self.agents.items():
            if binary_of(kind) != first:
                self.swap_agent(n, kind)
        return self

    def swap_agent(self, n: int, kind: str) -> None:
        """Stops node n's agent and runs `kind` on the same YAML; waits until healthy."""
        ops.stop_agent(self.state, n)
        self.agents[n] = kind
        self.start_agent(n)
        self.wait_healthy(90)

    def start_agent(self, node) -> dict:
        """Starts the node's own agent kind (the lab's start_agent knows one binary)."""
        n = self.number(node)
        spec = self.spec
        if procs.alive(self.state.procs.get(f"agent{n}")):
            raise RuntimeError(f"the agent of {spec.node_name(n)} is already running")
        rec = procs.launch([binary_of(self.agents[n]), str(spec.config_path(n))],
                           spec.agent_log(n), spec.node_dir(n), spec.run_as)
        self.state.record(f"agent{n}", rec)
        return rec

    def kind(self, node) -> str:
        return self.agents[self.number(node)]

    # The real patronictl, with node 1's YAML (any node's would do: same scope and etcd3).
    def patronictl(self, *args: str, stdin: str = "", timeout: float = 90.0,
                   env: dict | None = None) -> subprocess.CompletedProcess:
        argv = [PATRONICTL, "-c", str(self.spec.config_path(1)), *args]
        full_env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LC_ALL": "C.UTF-8", **(env or {})}
        try:
            return subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                  timeout=timeout, env=full_env)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(argv, 124, str(e.stdout or ""),
                                               f"patronictl timed out after {timeout:.0f}s")

    def list_members(self) -> dict[str, dict]:
        """`patronictl list -f json`: member name -> row."""
        done = self.patronictl("list", "-f", "json")
        if done.returncode != 0:
            raise AssertionError(f"patronictl list failed: {done.stderr}")
        return {row["Member"]: row for row in json.loads(done.stdout)}

    # REST with raw answers.
    def http(self, node, method: str, path: str, body=None, auth: bool = True,
             timeout: float = 5.0) -> "Answer":
        n = self.number(node)
        return http_call(self.spec.node_host(n), self.spec.rest_port(n), method, path, body,
                         auth, timeout)

    def patroni_doc(self, node) -> dict:
        answer = self.http(node, "GET", "/patroni")
        return answer.json() if answer.status == 200 else {}

    def etcd_value(self, key: str) -> str | None:
        """The raw value of /db/postgres/<key> (None: absent)."""
        return etcd.get_value(self.spec, self.key(key))

    def etcd(self, *args: str) -> str:
        """etcdctl's output (the v3 API, with the lab's client certificate)."""
        done = etcd.etcdctl(self.spec, list(args))
        if done.returncode != 0:
            raise AssertionError(f"etcdctl {' '.join(args)}: {done.stderr}")
        return done.stdout

    def etcd_json(self, key: str):
        value = self.etcd_value(key)
        return None if value is None else json.loads(value)

    def key(self, name: str) -> str:
        return f"/db/{SCOPE}/{name}"

    def sql_value(self, node, query: str):
        return self.sql(node, query)[0][0]

    def wait_leader_is(self, node, timeout: float = 60.0) -> None:
        name = self.spec.node_name(self.number(node))
        wait_until(lambda: self.leader() == name and self.leader_key() == name, timeout,
                   f"{name} to lead")

    def wait_all_streaming(self, timeout: float = 90.0) -> None:
        problems: list[str] = []

        def healthy() -> bool:
            problems[:] = self.health_problems()
            return not problems

        try:
            wait_until(healthy, timeout, "one leader, all others streaming")
        except TimeoutError as e:
            raise TimeoutError(f"{e}: {'; '.join(problems)}") from None

    def finish(self, failed: bool) -> None:
        """Stops the lab; PGHALO_KEEP_LAB=1 keeps a failed module's directory."""
        if failed:
            for node in self.nodes:
                print(f"--- {node} ({self.kind(node)}) agent log ---\n{self.log_tail(node, 30)}")
        self.down(keep=failed and os.environ.get("PGHALO_KEEP_LAB") == "1")


class LabTest(unittest.TestCase):
    """Remembers whether any test failed, so the module's lab can be kept for inspection."""

    any_failed = False

    def run(self, result=None):
        result = super().run(result)
        if result is not None and not result.wasSuccessful():
            LabTest.any_failed = True
        return result


def binary_of(kind: str) -> str:
    return PATRONI if kind == "patroni" else pghalo_bin()


@dataclasses.dataclass
class Answer:
    status: int | None
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def http_call(host: str, port: int, method: str, path: str, body=None, auth: bool = True,
              timeout: float = 5.0) -> Answer:
    """One HTTP/1.0 request, as Patroni's clients send them; Answer(None, ...) when no answer."""
    headers = {}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if auth:
        token = base64.b64encode(f"{API_USER}:{API_PASSWORD}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn._http_vsn, conn._http_vsn_str = 10, "HTTP/1.0"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)
    except (OSError, http.client.HTTPException):
        return Answer(None, {}, b"")
    finally:
        conn.close()


class PortProbe:
    """Runs `SELECT NOT pg_is_in_recovery()` through one TCP port (HAProxy's) on a fresh
    connection every `interval`, and keeps (time.monotonic(), ok, is_primary) receipts."""

    def __init__(self, host: str, port: int, interval: float = 0.1, timeout: float = 1.0):
        self.dsn = (f"host={host} port={port} user={LAB_ROLE} password={LAB_PASSWORD} "
                    f"dbname=postgres connect_timeout=1 application_name=compat-port-probe")
        self.interval = interval
        self.timeout = timeout
        self.receipts: list[tuple[float, bool, bool | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PortProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 3.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                conn = pg.connect_async(self.dsn, self.timeout)
                try:
                    rows = pg.execute_async(conn, "SELECT NOT pg_is_in_recovery()", None,
                                            self.timeout)
                finally:
                    conn.close()
                self.receipts.append((time.monotonic(), True, bool(rows[0][0])))
            except (pg.psycopg2.Error, TimeoutError, OSError):
                self.receipts.append((time.monotonic(), False, None))

    def longest_gap(self, since: float, want_primary: bool | None = None) -> float:
        """The longest stretch after `since` without a successful answer (and, when
        want_primary is given, one from a server of that kind), up to the last receipt."""
        good = [t for t, ok, primary in self.receipts
                if t >= since and ok and (want_primary is None or primary == want_primary)]
        marks = [since, *good, self.receipts[-1][0] if self.receipts else since]
        return max(b - a for a, b in zip(marks, marks[1:])) if len(marks) > 1 else 0.0

    def first_success(self, since: float, want_primary: bool | None = None) -> float | None:
        for t, ok, primary in self.receipts:
            if t >= since and ok and (want_primary is None or primary == want_primary):
                return t
        return None
