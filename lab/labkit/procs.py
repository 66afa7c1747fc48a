"""Processes by pid: start, check, signal and stop them within a time bound.

A process record is a plain dict (it lives in the JSON state file):
  {"pid": int, "start": int, "argv": [...], "log": str, "user": str}
`start` is the process start time from /proc/<pid>/stat (clock ticks since boot). A pid counts as
ours only while that start time matches, so a recycled pid is never signalled. Every process is
started in a new session (setsid), so its pid is also its session id.

Zombies count as dead: the launcher's parent may be a container's pid 1 that never reaps.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

# Popen objects of the processes this Python process started: polling them reaps zombies, and
# keeping them referenced stops Python warning that a still-running child was garbage-collected.
_children: dict[int, subprocess.Popen] = {}


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return text[text.rindex(")") + 2:].split()


def start_ticks(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None  # field 22 of proc(5)


def pid_running(pid: int) -> bool:
    """True if the pid exists and is not a zombie (any owner)."""
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]  # reaped: the pid may now be recycled by anyone
        return False
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def alive(rec: dict | None) -> bool:
    return bool(rec) and pid_running(rec["pid"]) and start_ticks(rec["pid"]) == rec["start"]


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[1] == str(pid):
                kids.append(int(entry.name))
    return kids


def _drop_privileges(user: str) -> dict:
    """Popen arguments that run the child as `user` when we are root (else nothing to do)."""
    if os.geteuid() != 0 or user == "root":
        return {}
    pw = pwd.getpwnam(user)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def user_env(user: str, extra: dict | None = None) -> dict:
    """A clean environment for `user`: nothing of the caller's PATRONI_*/ETCD_*/PG* leaks in."""
    pw = pwd.getpwnam(user)
    env = {
        "HOME": pw.pw_dir,
        "USER": user,
        "LOGNAME": user,
        "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": "C.UTF-8",
    }
    env.update(extra or {})
    return env


def launch(argv: list[str], log: Path, cwd: Path, user: str, env: dict | None = None,
           netns_prefix: list[str] | None = None) -> dict:
    """Starts argv in a new session with stdout+stderr appended to `log`; returns its record.

    `netns_prefix` (netns.exec_prefix: `ip netns exec NS setpriv ...`) runs it inside a network
    namespace; each step of the prefix execs the next, so the recorded pid is argv's own, and the
    prefix drops privileges itself (Popen starts it as root)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(user)
            os.fchown(out.fileno(), pw.pw_uid, pw.pw_gid)
        drop = {} if netns_prefix else _drop_privileges(user)
        proc = subprocess.Popen([*(netns_prefix or []), *argv], cwd=cwd,
                                env=env if env is not None else user_env(user),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, **drop)
    _children[proc.pid] = proc
    ticks = start_ticks(proc.pid)
    return {"pid": proc.pid, "start": ticks, "argv": argv, "log": str(log), "user": user}


def send(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def wait_until_dead(pids_alive, timeout: float, poll: float = 0.05) -> bool:
    """Polls `pids_alive()` (a callable returning the still-running subset) until empty."""
    deadline = time.monotonic() + timeout
    while pids_alive():
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


def session_members(leader: int) -> list[int]:
    """Running processes of the session `leader` created with setsid (the leader included).

    A session id equals the pid of the process that created it, so these are the processes we
    started and whatever they forked and did not move to a session of their own.
    """
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[3] == str(leader) and fields[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def stop_records(recs: list[dict], sig: int = signal.SIGTERM, timeout: float = 10.0) -> list[dict]:
    """Signals each live record, waits up to `timeout`, then SIGKILLs what is left of its session.

    Leftovers include helpers an agent killed earlier left behind (pg_basebackup, pg_ctl, ...).
    Returns the records that were running when called.
    """
    running = [r for r in recs if alive(r)]
    for r in running:
        send(r["pid"], sig)
    wait_until_dead(lambda: [r for r in running if alive(r)], timeout)
    # A pid running with another start time was recycled: its session is someone else's. A pid
    # not running cannot have been recycled into a new session while ours still has members
    # (the kernel does not reuse a pid that is still a session or process-group id).
    leftovers = [p for r in recs
                 if not (pid_running(r["pid"]) and start_ticks(r["pid"]) != r["start"])
                 for p in session_members(r["pid"])]
    for pid in leftovers:
        send(pid, signal.SIGKILL)
    wait_until_dead(lambda: [p for p in leftovers if pid_running(p)], 5.0)
    return running


def postmaster_pid(data_dir: Path) -> int | None:
    """The running postmaster of `data_dir`, from postmaster.pid, checked against /proc.

    Checked: the process runs a `postgres` executable and its working directory is the data
    directory (the postmaster chdirs there), so a stale or recycled pid is never returned.
    """
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    if not pid_running(pid):
        return None
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return None
    if Path(exe).name != "postgres" or os.path.realpath(cwd) != os.path.realpath(data_dir):
        return None
    return pid


def log_tail(path: str | os.PathLike | None, lines: int = 40) -> str:
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(cannot read {path}: {e})"
    return "\n".join(text.splitlines()[-lines:])
