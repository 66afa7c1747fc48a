"""Measurement 8: false failovers under load. For `minutes`, pgbench writes through HAProxy's
write port while two busy loops (one per core, at the agents' own priority) compete with every
process on the machine; a LeaderWatch polls the leader key every 200 ms.

Counted: leader changes (the key names another member than before) and losses (the key vanished,
whoever took it next). Nothing in the cluster fails, so every one of them is a false failover.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from . import footprint
from .gateway import LeaderWatch

HOG = "while True: pass"


def start_hogs(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.DEVNULL,
                             start_new_session=True) for _ in range(count)]


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            p.kill()
    for p in processes:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass


class PgbenchLoop:
    """pgbench against one address until a deadline, started again whenever it exits (a
    connection lost in a failover ends pgbench). Counts the runs."""

    def __init__(self, host: str, port: int, seconds: float, clients: int = 4):
        self.host, self.port, self.clients = host, port, clients
        self.deadline = time.monotonic() + seconds
        self.runs = 0
        self.transactions = 0
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pgbench-loop", daemon=True)

    def __enter__(self) -> "PgbenchLoop":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
        self._thread.join(10.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            left = int(self.deadline - time.monotonic())
            if left < 1:
                return
            with self._lock:
                if self._stop.is_set():
                    return
                self._proc = subprocess.Popen(
                    footprint.pgbench_argv(self.host, self.port, self.clients, left),
                    env=footprint.pgbench_env(), stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True, start_new_session=True)
                self.runs += 1
            try:
                out, _ = self._proc.communicate(timeout=left + 30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                out, _ = self._proc.communicate()
            for line in (out or "").splitlines():
                if line.startswith("number of transactions actually processed:"):
                    self.transactions += int(line.split(":")[1].split("/")[0])
            if self._proc.returncode != 0:
                self._stop.wait(1.0)  # no leader for a moment: do not spin


def count_changes(transitions: list[tuple[float, str | None]]) -> dict:
    """Leader changes and key losses in a LeaderWatch's transitions (the first is the start)."""
    changes = losses = 0
    holder = transitions[0][1] if transitions else None
    for _at, value in transitions[1:]:
        if value is None:
            losses += 1
        elif value != holder:
            changes += 1
        if value is not None:
            holder = value
    return {"leader_changes": changes, "leader_key_losses": losses,
            "holders": sorted({v for _t, v in transitions if v})}


def run(lab, seconds: float, hogs: int = 2) -> dict:
    spec = lab.spec
    hog_procs: list[subprocess.Popen] = []
    with LeaderWatch(spec, poll=0.2) as watch:
        time.sleep(0.5)
        try:
            hog_procs = start_hogs(hogs)
            with PgbenchLoop("127.0.0.1", spec.haproxy_write_port, seconds) as loop:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        finally:
            stop_processes(hog_procs)
        result = count_changes(watch.transitions())
        result["etcd_poll_errors"] = watch.errors
    result["pgbench_runs"] = loop.runs
    result["transactions"] = loop.transactions
    result["seconds"] = seconds
    return result
