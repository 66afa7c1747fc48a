"""Measurement 6: each agent process's memory and CPU, idle and under pgbench.

Only the agent's own process counts (for Patroni its python process), not PostgreSQL nor the
short-lived helpers an agent runs: RSS is VmRSS from /proc/<pid>/status, sampled every second
(the figure is the largest sample). RSS counts every resident page of every shared library the
process maps, pages that PostgreSQL's own processes (libcrypto, libssl, libc) map too, so two more
figures come from /proc/<pid>/smaps_rollup at the end of the window: private memory (pages no
other process maps: what stopping the agent would give back) and PSS (each shared page divided
by the number of processes mapping it). CPU seconds are utime + stime from /proc/<pid>/stat at the
end minus at the start of the window, so threads count and children do not.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def cpu_seconds(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def smaps_kib(pid: int) -> dict[str, int]:
    """{"private": Private_Clean + Private_Dirty, "pss": Pss} in KiB; {} if unreadable."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("Pss", "Private_Clean", "Private_Dirty"):
                fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    if len(fields) != 3:
        return {}
    return {"private": fields["Private_Clean"] + fields["Private_Dirty"], "pss": fields["Pss"]}


def sample(pids: dict[str, int], seconds: float, interval: float = 1.0) -> dict[str, dict]:
    """Per node: {"cpu_s": CPU seconds in the window, "rss_mb": largest VmRSS, "rss_mb_end",
    and at the end "private_mb" and "pss_mb" when smaps_rollup was readable}."""
    cpu0 = {n: cpu_seconds(p) for n, p in pids.items()}
    peak = {n: 0 for n in pids}
    end = time.monotonic() + seconds
    last = {}
    while True:
        for n, p in pids.items():
            kib = rss_kib(p)
            if kib is not None:
                peak[n] = max(peak[n], kib)
                last[n] = kib
        if time.monotonic() >= end:
            break
        time.sleep(min(interval, max(0.0, end - time.monotonic())))
    out = {}
    for n, p in pids.items():
        cpu1 = cpu_seconds(p)
        if cpu0[n] is None or cpu1 is None:
            continue  # the agent exited meanwhile: no figure rather than a wrong one
        out[n] = {"cpu_s": cpu1 - cpu0[n], "rss_mb": peak[n] / 1024,
                  "rss_mb_end": last.get(n, 0) / 1024}
        smaps = smaps_kib(p)
        if smaps:
            out[n]["private_mb"] = smaps["private"] / 1024
            out[n]["pss_mb"] = smaps["pss"] / 1024
    return out


def pgbench_env() -> dict:
    return {"PATH": "/usr/bin:/bin", "PGPASSWORD": "lab", "PGCONNECT_TIMEOUT": "3"}


def pgbench_init(host: str, port: int, scale: int, timeout: float = 300.0) -> None:
    subprocess.run([PGBENCH, "-i", "-q", "-s", str(scale), "-h", host, "-p", str(port), "-U", "lab",
                    "postgres"], env=pgbench_env(), check=True, capture_output=True,
                   timeout=timeout)


def pgbench_argv(host: str, port: int, clients: int, seconds: int) -> list[str]:
    return [PGBENCH, "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-h", host,
            "-p", str(port), "-U", "lab", "postgres"]


def under_pgbench(pids: dict[str, int], host: str, port: int, seconds: float,
                  clients: int = 8) -> tuple[dict[str, dict], float | None]:
    """`sample()` while pgbench runs against host:port; also returns pgbench's tps."""
    proc = subprocess.Popen(pgbench_argv(host, port, clients, int(seconds) + 2), env=pgbench_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        time.sleep(1.0)  # connections made: measure the steady state
        figures = sample(pids, seconds)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    tps = None
    for line in out.splitlines():
        if line.startswith("tps ="):
            tps = float(line.split()[2])
    return figures, tps
