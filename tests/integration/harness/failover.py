"""The seed's Test 1, measured: SIGKILL the primary's agent and PostgreSQL under a write probe,
wait for a new leader, restart the killed node and wait for it to rejoin as a streaming replica.

Used by the self-test and by lab/demo.sh:
  cd tests/integration && python3 -m harness.failover --dir /tmp/pghalo-lab-18000
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from .lab import Lab, LabError, wait_until
from .probe import ProbeReport, WriteProbe


@dataclasses.dataclass
class FailoverResult:
    old_leader: str
    new_leader: str
    kill_to_new_leader_s: float  # until the new leader's REST API says it runs as primary
    rejoin_s: float | None  # from restarting the old node's agent until the cluster is healthy
    report: ProbeReport


def kill_primary(lab: Lab, timeout: float = 90.0, warmup: float = 1.0, settle: float = 2.0,
                 rejoin: bool = True, rejoin_timeout: float = 120.0, out=None) -> FailoverResult:
    say = out or (lambda _line: None)
    old = lab.leader()
    if old is None:
        raise LabError("no leader to kill")
    probe = WriteProbe.for_lab(lab)
    probe.create_table(old)
    probe.start()
    try:
        wait_until(lambda: probe.acked_on(old) >= 5, 10.0, f"writes acknowledged by {old}")
        time.sleep(warmup)
        kill_at = probe.mark("kill")
        lab.kill(old, "KILL", with_postgres=True)
        say(f"killed {old} (agent and PostgreSQL, SIGKILL)")
        new = wait_until(lambda: _other_leader(lab, old), timeout, "a new leader")
        promoted_after = time.monotonic() - kill_at
        say(f"new leader: {new}, {promoted_after:.1f}s after the kill")
        wait_until(lambda: probe.acked_on(new) > 0, timeout, f"a write acknowledged by {new}")
        time.sleep(settle)
    finally:
        probe.stop()
    rejoin_s = None
    if rejoin:
        say(f"restarting {old}'s agent")
        started = time.monotonic()
        lab.start_agent(old)
        lab.wait_healthy(rejoin_timeout)
        rejoin_s = time.monotonic() - started
        say(f"{old} rejoined as a streaming replica in {rejoin_s:.1f}s")
    report = probe.report(old_primary=old, new_primary=new, read_back_leader=lab.leader())
    return FailoverResult(old, new, promoted_after, rejoin_s, report)


def _other_leader(lab: Lab, old: str) -> str | None:
    name = lab.leader()
    return name if name != old else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m harness.failover", description=__doc__)
    p.add_argument("--dir", required=True, help="the running lab's directory")
    p.add_argument("--timeout", type=float, default=90.0)
    p.add_argument("--no-rejoin", action="store_true", help="leave the killed node down")
    args = p.parse_args(argv)
    lab = Lab.attach(args.dir)
    try:
        result = kill_primary(lab, args.timeout, rejoin=not args.no_rejoin, out=print)
    except (LabError, TimeoutError) as e:
        print(f"failover: {e}", file=sys.stderr)
        return 1
    print(result.report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
