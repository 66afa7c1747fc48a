"""Measurement 7: wrk on the REST endpoints, and health checks while PostgreSQL is hung.

`wrk -t2 -c32 -d10s --latency URL`: requests per second, p50 and p99 latency, non-2xx answers,
socket errors. wrk runs on the same two cores as everything else; it is the same for both agents.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.parse

from labkit import procs
from labkit.layout import PG_BIN_DIR

WRK = "/usr/bin/wrk"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """The figures of one `wrk --latency` run (latencies in ms)."""
    result = {"rps": None, "p50_ms": None, "p99_ms": None, "requests": None, "non_2xx": 0,
              "socket_errors": 0, "timeouts": 0}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(line.split()[1])
        elif re.match(r"^50(\.0+)?%\s", line):
            result["p50_ms"] = _ms(line.split()[1])
        elif re.match(r"^99(\.0+)?%\s", line):
            result["p99_ms"] = _ms(line.split()[1])
        elif re.match(r"^\d+ requests in ", line):
            result["requests"] = int(line.split()[0])
        elif line.startswith("Non-2xx or 3xx responses:"):
            result["non_2xx"] = int(line.split(":")[1])
        elif line.startswith("Socket errors:"):
            counts = dict(re.findall(r"(connect|read|write|timeout) (\d+)", line))
            result["socket_errors"] = sum(int(v) for v in counts.values())
            result["timeouts"] = int(counts.get("timeout", 0))
    return result


def wrk(url: str, threads: int = 2, connections: int = 32, seconds: int = 10,
        timeout_s: int = 2) -> dict:
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
            "--latency", url]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise RuntimeError(f"wrk {url} failed: {out.stderr.strip()[-300:]}")
    return parse_wrk(out.stdout)


def health_checks(url: str, seconds: float, interval: float = 0.05,
                  timeout: float = 2.0) -> dict:
    """GET `url` one request at a time, a new connection each (as HAProxy checks), for `seconds`.

    wrk is no use here: it neither finishes nor counts a request that never gets an answer.
    Returns the answered requests' p50/p99/max latency (ms), and the count of each outcome.
    """
    latencies, statuses = [], {}
    parsed = urllib.parse.urlsplit(url)
    request = (f"GET {parsed.path or '/'} HTTP/1.1\r\nHost: {parsed.netloc}\r\n"
               "Connection: close\r\n\r\n").encode()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent = time.monotonic()
        outcome = _one_check(parsed.hostname, parsed.port, request, timeout)
        took = time.monotonic() - sent
        statuses[outcome] = statuses.get(outcome, 0) + 1
        if outcome not in ("timeout", "error"):
            latencies.append(took * 1000)
        time.sleep(max(0.0, interval - took))
    latencies.sort()
    answered = len(latencies)

    def pct(q):
        return latencies[min(answered - 1, int(q * answered))] if answered else None

    return {"requests": sum(statuses.values()), "answered": answered,
            "timeouts": statuses.get("timeout", 0), "errors": statuses.get("error", 0),
            "statuses": statuses, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": latencies[-1] if latencies else None}


def _one_check(host: str, port: int, request: bytes, timeout: float) -> str:
    """One request on a new connection: the HTTP status as text, "timeout" or "error".
    A raw socket, so the client's own cost stays far below the latencies it measures."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(request)
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    return "error"
                head += chunk
            while sock.recv(65536):  # the whole answer, as a checker would read it
                pass
    except socket.timeout:
        return "timeout"
    except OSError:
        return "error"
    parts = head.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else "error"


def while_hung(lab, node: str, path: str, seconds: float) -> dict:
    """Health checks on `node`'s `path` while its postmaster and backends are SIGSTOPped (a hung
    server); SIGCONT follows whatever happens."""
    n = lab.number(node)
    pm = procs.postmaster_pid(lab.spec.data_dir(n))
    if pm is None:
        raise RuntimeError(f"{node} has no running postmaster to hang")
    stopped = [pid for pid in [pm, *procs.children_of(pm)] if procs.send(pid, signal.SIGSTOP)]
    try:
        return health_checks(f"http://127.0.0.1:{lab.spec.rest_port(n)}{path}", seconds)
    finally:
        for pid in stopped:
            procs.send(pid, signal.SIGCONT)


def while_stopped(lab, node: str, path: str, seconds: float, ctl: list[str]) -> dict:
    """Health checks on `node`'s `path` while its PostgreSQL is shut down. The cluster is paused
    first (`ctl pause --wait`), so that neither agent starts it again meanwhile."""
    n = lab.number(node)
    config = str(lab.spec.patronictl_config)
    _ctl(ctl + ["-c", config, "pause", "--wait"])
    try:
        _pg_ctl(lab, n, ["stop", "-m", "fast", "-w", "-t", "30"])
        try:
            return health_checks(f"http://127.0.0.1:{lab.spec.rest_port(n)}{path}", seconds)
        finally:
            _pg_ctl(lab, n, ["start", "-w", "-t", "60", "-l",
                             str(lab.spec.node_dir(n) / "pglog" / "pg_ctl-start.log")])
    finally:
        _ctl(ctl + ["-c", config, "resume", "--wait"])


def _ctl(argv: list[str]) -> None:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[-2:])} failed: {(out.stdout + out.stderr)[-300:]}")


def _pg_ctl(lab, n: int, args: list[str]) -> None:
    argv = [f"{PG_BIN_DIR}/pg_ctl", "-D", str(lab.spec.data_dir(n)), *args]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=90,
                         env=procs.user_env(lab.spec.run_as), **procs._drop_privileges(
                             lab.spec.run_as))
    if out.returncode != 0:
        raise RuntimeError(f"pg_ctl {args[0]} failed: {(out.stdout + out.stderr)[-300:]}")
