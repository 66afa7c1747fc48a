"""Helpers for the pghaloctl integration tests: finding the binary, running it with a deadline,
normalising the volatile parts of its tables for golden files, and restoring a backup into a
throwaway PostgreSQL server (127.0.0.1 only, as the postgres user, stopped by pid).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
PG_BIN = "/usr/lib/postgresql/15/bin"


def pghaloctl_bin() -> str:
    """$PGHALOCTL, else $PGHALO_BUILD_DIR's, else the newest build/<dir>/src/app/pghaloctl."""
    if os.environ.get("PGHALOCTL"):
        return os.environ["PGHALOCTL"]
    if os.environ.get("PGHALO_BUILD_DIR"):
        return str(Path(os.environ["PGHALO_BUILD_DIR"]) / "src" / "app" / "pghaloctl")
    found = glob.glob(str(REPO_ROOT / "build" / "*" / "src" / "app" / "pghaloctl"))
    if not found:
        raise FileNotFoundError("no pghaloctl binary: build it or set PGHALOCTL")
    return max(found, key=os.path.getmtime)


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    def __str__(self) -> str:
        return f"exit {self.code} after {self.seconds:.1f}s\n--- stdout\n{self.out}--- stderr\n{self.err}"


def run(args: list[str], stdin: str = "", timeout: float = 120.0, env: dict | None = None) -> Run:
    """pghaloctl with `args`; killed (and reported as exit -9) after `timeout` seconds."""
    full_env = dict(os.environ)
    full_env.pop("PATRONICTL_CONFIG_FILE", None)
    full_env.pop("DCS_URL", None)
    full_env.update(env or {})
    start = time.monotonic()
    try:
        done = subprocess.run([pghaloctl_bin(), *args], input=stdin, capture_output=True,
                              text=True, timeout=timeout, env=full_env)
        return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - start)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Run(-9, out, f"timed out after {timeout}s", time.monotonic() - start)


# ---- golden files ------------------------------------------------------------------------------

_LAG = re.compile(r"^-?\d+(\.\d+)? (B|kB|MB|GB|TB)$")


def normalise_table(text: str, volatile: dict[str, str], sysid: str | None,
                    ports: dict[int, str]) -> str:
    """A pghaloctl table with what changes from run to run replaced by placeholders.

    Rows become their stripped cells joined by " | " (widths follow the values, so they are
    dropped); rules become "+-"; `volatile` maps a column name to its placeholder; the system id
    and the lab's port numbers become names.
    """
    out = []
    columns: list[str] = []
    for line in text.splitlines():
        if sysid:
            line = line.replace(sysid, "<sysid>")
        for port, name in ports.items():
            line = line.replace(f":{port}", f":<{name}>")
        if line.startswith("+"):
            title = line.strip("+-").strip()
            out.append(f"+- {title}" if title and "|" not in title else "+-")
            continue
        if not line.startswith("|"):
            out.append(line)
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not columns:
            columns = cells
            out.append(" | ".join(cells))
            continue
        for i, name in enumerate(columns):
            if i < len(cells) and name in volatile and cells[i]:
                cells[i] = volatile[name]
            elif i < len(cells) and _LAG.match(cells[i]):
                cells[i] = "<lag>"
        out.append(" | ".join(cells))
    return "\n".join(out) + "\n"


def check_golden(test, name: str, actual: str) -> None:
    """Compares with golden/<name>; PGHALO_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if os.environ.get("PGHALO_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(actual)
    test.assertEqual(actual, path.read_text(), f"golden file {path}")


# ---- restoring a backup ------------------------------------------------------------------------

def _as_postgres(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    user = pwd.getpwnam("postgres")

    def drop() -> None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    kwargs = {"preexec_fn": drop} if os.geteuid() == 0 else {}
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


class RestoredServer:
    """A backup unpacked into a temporary directory and started on 127.0.0.1:`port`."""

    def __init__(self, backup_dir: str, port: int):
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="pghaloctl-restore-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        with tarfile.open(Path(backup_dir) / "base.tar.gz") as tar:
            tar.extractall(self.data)
        with tarfile.open(Path(backup_dir) / "pg_wal.tar.gz") as tar:
            tar.extractall(self.data / "pg_wal")
        os.chmod(self.data, 0o700)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in [self.root, *self.root.rglob("*")]:
                os.lchown(path, user.pw_uid, user.pw_gid)
        self.started = False

    def start(self) -> subprocess.CompletedProcess:
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.socket_dir} -c logging_collector=off "
                   f"-c archive_mode=off -c hot_standby=on")
        done = _as_postgres([f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-o",
                             options, "-l", str(self.root / "server.log"), "start"], 90)
        self.started = done.returncode == 0
        return done

    def sql(self, query: str) -> str:
        done = _as_postgres([f"{PG_BIN}/psql", "-h", str(self.socket_dir), "-p", str(self.port),
                             "-U", "postgres", "-d", "postgres", "-Atc", query], 30)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout.strip()

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text()[-3000:]
        except OSError:
            return "(no log)"

    def close(self) -> None:
        try:
            if self.started:
                _as_postgres([f"{PG_BIN}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w",
                              "-t", "30", "stop"], 60)
        finally:
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl could not stop it: our own postmaster, by its pid
                try:
                    os.kill(int(pid_file.read_text().splitlines()[0]), 9)
                except (OSError, ValueError, IndexError):
                    pass
            shutil.rmtree(self.root, ignore_errors=True)
