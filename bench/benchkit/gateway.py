"""etcd's v3 JSON gateway, as the lab's client certificate allows: the leader key and its lease.

The benchmark reads etcd itself rather than asking an agent, so what it measures does not depend
on either agent's REST API: who holds the leader key, and when the holder last renewed its lease.

etcd 3.4 answers `POST /v3/lease/timetolive` with the remaining TTL truncated to whole seconds.
A keepalive resets it to `ttl`, so the value rises; polling every few tens of milliseconds finds
each keepalive to within the polling interval.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import threading
import time

from labkit.layout import CLIENT_CERT, HOST, LabSpec


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Gateway:
    """One client over one kept-alive connection; tries each etcd member in turn.

    Not thread-safe: give each polling thread its own Gateway.
    """

    def __init__(self, spec: LabSpec, timeout: float = 1.0):
        self.spec = spec
        self.timeout = timeout
        self.ports = [spec.etcd_client_port(i) for i in spec.etcd_numbers()]
        self.context = None
        if spec.tls:
            self.context = ssl.create_default_context(cafile=spec.tls_file("ca.crt"))
            self.context.load_cert_chain(spec.tls_file(f"{CLIENT_CERT}.crt"),
                                         spec.tls_file(f"{CLIENT_CERT}.key"))
        self._preferred = 0
        self._conn = None
        self._conn_port = None

    def post(self, path: str, body: dict) -> dict:
        """The JSON answer of the first member that answers; OSError when none does."""
        last = None
        for k in range(len(self.ports)):
            index = (self._preferred + k) % len(self.ports)
            try:
                answer = self._post_one(self.ports[index], path, body)
                self._preferred = index
                return answer
            except (OSError, http.client.HTTPException, ValueError) as e:
                last = e
        raise OSError(f"no etcd member answered {path}: {last}")

    def _post_one(self, port: int, path: str, body: dict) -> dict:
        if self._conn is None or self._conn_port != port:
            self.close()
            if self.context is not None:
                self._conn = http.client.HTTPSConnection(HOST, port, timeout=self.timeout,
                                                         context=self.context)
            else:
                self._conn = http.client.HTTPConnection(HOST, port, timeout=self.timeout)
            self._conn_port = port
        try:
            self._conn.request("POST", path, json.dumps(body),
                               {"Content-Type": "application/json"})
            response = self._conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        if response.status != 200:
            raise ValueError(f"etcd answered {response.status}: {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def leader(self) -> tuple[str | None, int | None]:
        """(leader key value, its lease id), (None, None) when there is no leader key."""
        answer = self.post("/v3/kv/range", {"key": _b64(self.spec.leader_key())})
        kvs = answer.get("kvs") or []
        if not kvs:
            return None, None
        value = base64.b64decode(kvs[0].get("value", "")).decode()
        lease = int(kvs[0].get("lease", 0)) or None
        return value, lease

    def lease_ttl(self, lease: int) -> int | None:
        """Whole seconds left on the lease (truncated), None when it no longer exists."""
        answer = self.post("/v3/lease/timetolive", {"ID": lease})
        ttl = int(answer.get("TTL", -1))
        return ttl if ttl >= 0 else None


class _Poller:
    """A thread that calls `_poll_once()` every `poll` seconds until stopped, on its own Gateway."""

    def __init__(self, spec: LabSpec, poll: float):
        self.gateway = Gateway(spec)
        self.poll = poll
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self.gateway.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._poll_once()
            self._stop.wait(self.poll)

    def _poll_once(self) -> None:
        raise NotImplementedError


class LeaseWatch(_Poller):
    """Follows one lease and records when each keepalive landed.

    `renewals` holds the time.monotonic() of each poll that saw the TTL rise (a keepalive landed
    between that poll and the one before).
    """

    def __init__(self, spec: LabSpec, lease: int, poll: float = 0.02):
        super().__init__(spec, poll)
        self.lease = lease
        self.renewals: list[float] = []
        self._previous: int | None = None

    def _poll_once(self) -> None:
        try:
            ttl = self.gateway.lease_ttl(self.lease)
        except (OSError, ValueError):
            return
        now = time.monotonic()
        with self._lock:
            if ttl is not None and self._previous is not None and ttl > self._previous:
                self.renewals.append(now)
            if ttl is not None:
                self._previous = ttl

    def renewal_count(self) -> int:
        with self._lock:
            return len(self.renewals)

    def last_renewal(self, before: float | None = None) -> float | None:
        with self._lock:
            times = [t for t in self.renewals if before is None or t <= before]
        return times[-1] if times else None

    def wait_renewals(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.renewal_count() >= count:
                return True
            time.sleep(self.poll)
        return False


class LeaderWatch(_Poller):
    """Follows the leader key's value; `changes` lists (time.monotonic(), value or None)."""

    def __init__(self, spec: LabSpec, poll: float = 0.02):
        super().__init__(spec, poll)
        self.changes: list[tuple[float, str | None]] = []
        self.errors = 0

    def _poll_once(self) -> None:
        try:
            value, _lease = self.gateway.leader()
        except (OSError, ValueError):
            with self._lock:
                self.errors += 1
            return
        now = time.monotonic()
        with self._lock:
            if not self.changes or self.changes[-1][1] != value:
                self.changes.append((now, value))

    def current(self) -> str | None:
        with self._lock:
            return self.changes[-1][1] if self.changes else None

    def first_change(self, since: float, away_from: str) -> tuple[float | None, float | None]:
        """After `since`: when the key first stopped naming `away_from`, and when it first named
        another member."""
        gone = other = None
        with self._lock:
            changes = list(self.changes)
        for at, value in changes:
            if at < since:
                continue
            if gone is None and value != away_from:
                gone = at
            if other is None and value not in (None, away_from):
                other = at
        return gone, other

    def transitions(self) -> list[tuple[float, str | None]]:
        with self._lock:
            return list(self.changes)
