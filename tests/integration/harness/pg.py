"""psycopg2, found even when `python3` is not Debian's interpreter.

psycopg2 comes from Debian's python3-psycopg2 (/usr/lib/python3/dist-packages). A `python3`
earlier on PATH (pyenv, a venv) does not see that directory; when its version matches the one
the package was built for, appending the directory makes the module importable without pulling
anything else of Debian's ahead of the interpreter's own packages.
"""

from __future__ import annotations

import select
import sys
import time
from pathlib import Path

DEBIAN_DIST_PACKAGES = Path("/usr/lib/python3/dist-packages")


def _import_psycopg2():
    try:
        import psycopg2
        return psycopg2
    except ImportError:
        pass
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    if not any(DEBIAN_DIST_PACKAGES.glob(f"psycopg2/_psycopg.{tag}-*.so")):
        return None
    sys.path.append(str(DEBIAN_DIST_PACKAGES))
    try:
        import psycopg2
        return psycopg2
    except ImportError:
        return None


psycopg2 = _import_psycopg2()


def require() -> None:
    """Raises unittest.SkipTest-friendly ImportError when psycopg2 cannot be had."""
    if psycopg2 is None:
        raise ImportError("psycopg2 is not importable: install python3-psycopg2 "
                          "(and run Debian's /usr/bin/python3)")


def wait_ready(conn, deadline: float) -> None:
    """Drives an asynchronous psycopg2 connection until its operation completes, or
    raises TimeoutError at `deadline` (time.monotonic()). Never blocks past the deadline."""
    extensions = psycopg2.extensions
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("PostgreSQL did not answer in time")
        fd = conn.fileno()
        if state == extensions.POLL_READ:
            select.select([fd], [], [], remaining)
        elif state == extensions.POLL_WRITE:
            select.select([], [fd], [], remaining)
        else:
            raise psycopg2.OperationalError(f"unexpected poll state {state}")


def connect_async(dsn: str, timeout: float):
    """An asynchronous (non-blocking, autocommit) connection, established within `timeout`."""
    conn = psycopg2.connect(dsn, async_=1)
    try:
        wait_ready(conn, time.monotonic() + timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def execute_async(conn, sql: str, params=None, timeout: float = 1.0) -> list[tuple]:
    """Runs one statement on an asynchronous connection within `timeout`; returns its rows."""
    cursor = conn.cursor()
    cursor.execute(sql, params)
    wait_ready(conn, time.monotonic() + timeout)
    return cursor.fetchall() if cursor.description else []
