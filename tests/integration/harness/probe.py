"""WriteProbe: tries a small INSERT on every node, directly, every 20 ms, and keeps the receipts.

One thread per node keeps its own connection (TCP, the lab role, connect_timeout 1 s,
statement_timeout 1 s, and a client-side deadline so a frozen server cannot hang the thread) and
reconnects after any failure. Each row's key is "<run>:<node>:<seq>", made by the client, so rows
stay distinct even if two primaries hand out the same sequence values.

After the run, `report()` answers: the last write the old primary acknowledged, the first the new
primary acknowledged, the gap between them, whether two nodes acknowledged writes in overlapping
intervals (split brain), and which acknowledged rows are missing when every node is read back.
The analysis (`analyse`) is a pure function of the receipts, unit-tested without servers.
"""

from __future__ import annotations

import collections
import dataclasses
import secrets
import threading
import time

from . import pg

TABLE = "pghalo_probe"
CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (key text PRIMARY KEY, node text NOT NULL, "
                "client_time double precision, server_time timestamptz NOT NULL "
                "DEFAULT clock_timestamp())")
# The WAL position after the row, so lost rows can be measured in bytes (maximum_lag_on_failover).
INSERT = (f"INSERT INTO {TABLE} (key, node, client_time) VALUES (%s, %s, %s) "
          "RETURNING pg_current_wal_insert_lsn()::text")
READ_ONLY_SQLSTATE = "25006"
# A cancelled wait for a synchronous standby still reports success, with this warning: the row is
# committed locally only, so it is not an acknowledgement a client may rely on.
SYNC_WAIT_CANCELLED = "canceling wait for synchronous replication"


def parse_lsn(text: str | None) -> int | None:
    """'16/B374D848' -> its byte position; None for None or garbage."""
    try:
        high, low = str(text).split("/")
        return (int(high, 16) << 32) | int(low, 16)
    except (ValueError, AttributeError):
        return None


@dataclasses.dataclass(frozen=True)
class Ack:
    key: str
    node: str
    sent: float  # time.monotonic() when the INSERT was sent
    acked: float  # time.monotonic() when its success came back
    wall: float  # time.time() at `acked`, to line up with the agents' logs
    lsn: int | None = None  # the node's WAL insert position after the row


@dataclasses.dataclass(frozen=True)
class Run:
    """A stretch of acknowledged writes on one node with no pause longer than the run gap."""
    node: str
    first: float
    last: float
    count: int


@dataclasses.dataclass
class ProbeReport:
    started: float  # monotonic origin: every time below is seconds since it
    duration: float
    attempts: dict[str, int]
    acks: dict[str, int]
    errors: dict[str, dict[str, int]]
    runs: list[Run]
    marks: dict[str, float]
    old_primary: str | None
    new_primary: str | None
    last_ack_old: float | None
    first_ack_new: float | None
    gap_s: float | None
    overlaps: list[tuple[Run, Run]]
    missing: list[str]  # acknowledged, absent from the read-back leader
    missing_by_node: dict[str, int]
    unreadable: list[str]
    read_back_from: str | None

    @property
    def split_brain(self) -> bool:
        return bool(self.overlaps)

    def summary(self) -> str:
        def t(x):
            return "-" if x is None else f"{x:.3f}s"

        lines = [f"write probe: {self.duration:.1f}s, acknowledged "
                 + ", ".join(f"{n} {c}/{self.attempts.get(n, 0)}" for n, c in self.acks.items())]
        for label, at in self.marks.items():
            lines.append(f"  mark {label!r} at {t(at)}")
        lines.append(f"  last ack on old primary {self.old_primary}: {t(self.last_ack_old)}")
        lines.append(f"  first ack on new primary {self.new_primary}: {t(self.first_ack_new)}")
        lines.append(f"  write gap: {t(self.gap_s)}")
        for label, at in self.marks.items():
            if self.first_ack_new is not None and at <= self.first_ack_new:
                lines.append(f"  from mark {label!r} to first ack on new primary: "
                             f"{t(self.first_ack_new - at)}")
        lines.append("  overlapping acknowledgements: "
                     + ("none" if not self.overlaps else "; ".join(
                         f"{a.node} [{t(a.first)}..{t(a.last)}] vs {b.node} "
                         f"[{t(b.first)}..{t(b.last)}]" for a, b in self.overlaps)))
        if self.read_back_from:
            lines.append(f"  acknowledged but missing on {self.read_back_from}: "
                         f"{len(self.missing)}" + (f" (e.g. {self.missing[:5]})"
                                                   if self.missing else ""))
            for node, count in self.missing_by_node.items():
                lines.append(f"    missing on {node}: {count}")
        if self.unreadable:
            lines.append(f"  could not read back: {', '.join(self.unreadable)}")
        for node, kinds in self.errors.items():
            if kinds:
                lines.append(f"  {node} errors: "
                             + ", ".join(f"{k} {c}" for k, c in sorted(kinds.items())))
        return "\n".join(lines)


def runs_of(acks: list[Ack], run_gap: float) -> list[Run]:
    """Per node, consecutive acknowledgements no more than `run_gap` apart form one run."""
    by_node: dict[str, list[float]] = collections.defaultdict(list)
    for ack in acks:
        by_node[ack.node].append(ack.acked)
    runs = []
    for node, times in by_node.items():
        times.sort()
        first = prev = times[0]
        count = 0
        for at in times:
            if at - prev > run_gap:
                runs.append(Run(node, first, prev, count))
                first, count = at, 0
            prev = at
            count += 1
        runs.append(Run(node, first, prev, count))
    return sorted(runs, key=lambda r: r.first)


def analyse(acks: list[Ack], started: float, duration: float, attempts: dict[str, int],
            errors: dict[str, dict[str, int]], marks: dict[str, float] | None = None,
            old_primary: str | None = None, new_primary: str | None = None,
            present: dict[str, set[str] | None] | None = None, read_back_from: str | None = None,
            run_gap: float = 0.5) -> ProbeReport:
    """The report for a set of receipts (times in time.monotonic()).

    old/new primary default to the node of the first run and the first other node to start a run
    after it. `present` maps node -> keys found when reading it back (None: unreadable).
    """
    rel = [dataclasses.replace(a, sent=a.sent - started, acked=a.acked - started) for a in acks]
    runs = runs_of(rel, run_gap)
    if old_primary is None and runs:
        old_primary = runs[0].node
    if new_primary is None:
        new_primary = next((r.node for r in runs if r.node != old_primary), None)
    old_times = [a.acked for a in rel if a.node == old_primary]
    new_times = [a.acked for a in rel if a.node == new_primary]
    # The old primary's last ack before the new one's first: the hand-over the gap measures.
    first_new = min(new_times) if new_times else None
    before = [x for x in old_times if first_new is None or x <= first_new]
    last_old = max(before) if before else (max(old_times) if old_times else None)
    gap = first_new - last_old if first_new is not None and last_old is not None else None
    overlaps = [(a, b) for i, a in enumerate(runs) for b in runs[i + 1:]
                if a.node != b.node and b.first <= a.last]
    acked_keys = {a.key for a in acks}
    present = present or {}
    leader_keys = present.get(read_back_from)
    missing = sorted(acked_keys - leader_keys) if leader_keys is not None else []
    counts = collections.Counter(a.node for a in acks)
    return ProbeReport(
        started=started, duration=duration, attempts=dict(attempts),
        acks={n: counts.get(n, 0) for n in attempts}, errors={n: dict(e) for n, e in errors.items()},
        runs=runs, marks={k: v - started for k, v in (marks or {}).items()},
        old_primary=old_primary, new_primary=new_primary, last_ack_old=last_old,
        first_ack_new=first_new, gap_s=gap, overlaps=overlaps, missing=missing,
        missing_by_node={n: len(acked_keys - keys) for n, keys in present.items()
                         if keys is not None},
        unreadable=[n for n, keys in present.items() if keys is None],
        read_back_from=read_back_from if leader_keys is not None else None)


class WriteProbe:
    """Background writer to every node; see the module docstring."""

    def __init__(self, endpoints: dict[str, str], interval: float = 0.02,
                 connect_timeout: float = 1.0, statement_timeout: float = 1.0):
        """`endpoints`: node name -> libpq conninfo (without timeouts; the probe adds them)."""
        pg.require()
        self.endpoints = endpoints
        self.interval = interval
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self.run_id = secrets.token_hex(4)
        self.acks: list[Ack] = []
        self.attempts: dict[str, int] = {n: 0 for n in endpoints}
        self.errors: dict[str, collections.Counter] = {n: collections.Counter() for n in endpoints}
        self.marks: dict[str, float] = {}
        self.started: float | None = None
        self.stopped: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @classmethod
    def for_lab(cls, lab, **kwargs) -> "WriteProbe":
        return cls({node: lab.dsn(node, via="tcp") for node in lab.nodes}, **kwargs)

    def _dsn(self, node: str) -> str:
        timeout_ms = int(self.statement_timeout * 1000)
        return (f"{self.endpoints[node]} connect_timeout={max(1, round(self.connect_timeout))} "
                f"options='-c statement_timeout={timeout_ms}' application_name=pghalo-probe")

    def create_table(self, primary: str, replicate_timeout: float = 10.0) -> None:
        """Creates the probe table on `primary`, then waits (bounded) until every other node that
        answers has replayed it, so replicas refuse writes as read-only, not as unknown table."""
        self._query(primary, CREATE_TABLE, timeout=10.0)
        deadline = time.monotonic() + replicate_timeout
        for node in self.endpoints:
            while time.monotonic() < deadline:
                try:
                    if self._query(node, f"SELECT to_regclass('{TABLE}') IS NOT NULL")[0][0]:
                        break
                except (pg.psycopg2.Error, TimeoutError, OSError):
                    break  # a node that does not answer now is the probe's business later
                time.sleep(0.1)

    def _query(self, node: str, sql: str, params=None, timeout: float = 5.0) -> list[tuple]:
        conn = pg.connect_async(self._dsn(node), 2.0)
        try:
            return pg.execute_async(conn, sql, params, timeout)
        finally:
            conn.close()

    # Running.
    def start(self) -> "WriteProbe":
        self.started = time.monotonic()
        for node in self.endpoints:
            thread = threading.Thread(target=self._writer, args=(node,), name=f"probe-{node}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + self.connect_timeout + self.statement_timeout + 2.0
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.stopped = time.monotonic()

    def __enter__(self) -> "WriteProbe":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def mark(self, label: str) -> float:
        """Records an event (e.g. "kill") on the probe's clock; returns its monotonic time."""
        at = time.monotonic()
        self.marks[label] = at
        return at

    def acked_on(self, node: str) -> int:
        with self._lock:
            return sum(1 for a in self.acks if a.node == node)

    def _writer(self, node: str) -> None:
        conn = None
        seq = 0
        next_tick = time.monotonic()
        try:
            while not self._stop.is_set():
                delay = next_tick - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                next_tick = max(next_tick + self.interval, time.monotonic())  # skip, never burst
                if conn is None:
                    conn = self._connect(node)
                    if conn is None:
                        continue
                seq += 1
                conn = self._insert(node, conn, f"{self.run_id}:{node}:{seq}")
        finally:
            if conn is not None:
                conn.close()

    def _connect(self, node: str):
        try:
            return pg.connect_async(self._dsn(node), self.connect_timeout)
        except (pg.psycopg2.Error, TimeoutError, OSError) as e:
            self._count(node, "connect timeout" if isinstance(e, TimeoutError) else "connect")
            return None

    def _insert(self, node: str, conn, key: str):
        """One attempt; returns the connection to keep using (None: reconnect next tick)."""
        with self._lock:
            self.attempts[node] += 1
        sent = time.monotonic()
        try:
            rows = pg.execute_async(conn, INSERT, (key, node, time.time()),
                                    self.statement_timeout + 0.5)
        except TimeoutError:
            self._count(node, "timeout")
        except pg.psycopg2.Error as e:
            if e.pgcode == READ_ONLY_SQLSTATE:
                self._count(node, "read-only")
                return conn
            self._count(node, f"error {e.pgcode}" if e.pgcode else "connection lost")
        else:
            acked = time.monotonic()
            notices, conn.notices[:] = list(conn.notices), []
            if any(SYNC_WAIT_CANCELLED in n for n in notices):
                self._count(node, "sync wait cancelled")
                return conn
            lsn = parse_lsn(rows[0][0]) if rows else None
            with self._lock:
                self.acks.append(Ack(key, node, sent, acked, time.time(), lsn))
            return conn
        conn.close()
        return None

    def _count(self, node: str, kind: str) -> None:
        with self._lock:
            self.errors[node][kind] += 1

    # Results.
    def read_back(self, leader: str, catch_up_timeout: float = 15.0) -> dict[str, set[str] | None]:
        """Keys of this run found on each node (None: unreadable). Replicas get up to
        `catch_up_timeout` to hold at least what the leader holds."""
        present = {leader: self._keys(leader)}
        target = present[leader] or set()
        deadline = time.monotonic() + catch_up_timeout
        for node in self.endpoints:
            if node == leader:
                continue
            keys = self._keys(node)
            while keys is not None and not target <= keys and time.monotonic() < deadline:
                time.sleep(0.2)
                keys = self._keys(node)
            present[node] = keys
        return present

    def _keys(self, node: str) -> set[str] | None:
        try:
            rows = self._query(node, f"SELECT key FROM {TABLE} WHERE key LIKE %s",
                               (f"{self.run_id}:%",), timeout=10.0)
        except (pg.psycopg2.Error, TimeoutError, OSError):
            return None
        return {row[0] for row in rows}

    def report(self, old_primary: str | None = None, new_primary: str | None = None,
               read_back_leader: str | None = None) -> ProbeReport:
        """The report; reads every node back first when `read_back_leader` is given."""
        present = self.read_back(read_back_leader) if read_back_leader else None
        with self._lock:
            acks = list(self.acks)
        end = self.stopped or time.monotonic()
        return analyse(acks, self.started, end - self.started, self.attempts, self.errors,
                       self.marks, old_primary, new_primary, present, read_back_leader)
