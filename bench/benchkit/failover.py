"""Measurements 1-4: crash failover, graceful stop, switchover and rejoin.

Each hand-over runs under harness.WriteProbe (an INSERT on every node, directly, every 20 ms): the
write gap is the time from the last write the old primary acknowledged to the first the new one
acknowledged. A LeaderWatch polls the leader key in etcd meanwhile, so each gap splits into
"until the key left the old primary", "until another member held it" and "until that member
acknowledged a write".

The new primary is found from the probe (the first other node to acknowledge a write), not from
an agent's REST API, so neither agent's view of itself enters the numbers.

Crash phase. The lease of a SIGKILLed leader expires `ttl` after its last keepalive, and an agent
renews once per loop: killed at a random instant, the gap varies by a whole loop_wait (10 s with
the seed's timing) for reasons that have nothing to do with the agent. So the kill is placed: a
LeaseWatch finds a keepalive, and the kill follows it by `phase * loop_wait`; repetition i of n
uses phase (i + 0.5) / n, the same for both agents. The lease time left at the kill is recorded
with every sample, so `gap - lease_left` is the agent's own reaction.
"""

from __future__ import annotations

import subprocess
import time

from harness.lab import wait_until
from harness.probe import WriteProbe

from .gateway import LeaderWatch, LeaseWatch
from .labrun import BenchLab

WARMUP_ACKS = 5
SETTLE_S = 1.0  # probe keeps writing after the first ack on the new primary


def _new_writer(probe: WriteProbe, old: str) -> str | None:
    """The first node other than `old` to acknowledge a write after the "event" mark."""
    since = probe.marks.get("event", 0.0)
    with probe._lock:
        acks = [a for a in probe.acks if a.node != old and a.acked >= since]
    return min(acks, key=lambda a: a.acked).node if acks else None


def _start_probe(lab: BenchLab, leader: str) -> WriteProbe:
    probe = WriteProbe.for_lab(lab)
    probe.create_table(leader)
    probe.start()
    try:
        wait_until(lambda: probe.acked_on(leader) >= WARMUP_ACKS, 15.0,
                   f"writes acknowledged by {leader}")
    except BaseException:
        probe.stop()
        raise
    return probe


def _finish(probe: WriteProbe, watch: LeaderWatch, old: str, event_at: float,
            timeout: float) -> dict:
    """Waits for another node to acknowledge a write, stops the probe, returns the figures."""
    try:
        new = wait_until(lambda: _new_writer(probe, old), timeout,
                         "a write acknowledged by another node")
        time.sleep(SETTLE_S)
    finally:
        probe.stop()
    report = probe.report(old_primary=old, new_primary=new)
    gone, other = watch.first_change(event_at, old)
    result = {
        "old": old, "new": new, "gap_s": report.gap_s,
        "event_to_first_write_s": (report.first_ack_new + report.started - event_at
                                   if report.first_ack_new is not None else None),
        "event_to_key_gone_s": gone - event_at if gone else None,
        "event_to_key_taken_s": other - event_at if other else None,
        "split_brain": report.split_brain,
    }
    if report.last_ack_old is not None:
        result["event_to_last_old_write_s"] = report.last_ack_old + report.started - event_at
    return result


def crash(lab: BenchLab, phase: float | None, loop_wait: float, ttl: float,
          timeout: float) -> dict:
    """Measurement 1: SIGKILL the primary's agent and postgres, `phase` of a loop after a
    keepalive (None: whenever)."""
    old = lab.leader()
    if old is None:
        raise RuntimeError("no leader before the crash")
    _value, lease = lab.gateway.leader()
    probe = _start_probe(lab, old)
    with LeaderWatch(lab.spec) as watch:
        lease_watch = LeaseWatch(lab.spec, lease) if lease else None
        try:
            if lease_watch:
                lease_watch.__enter__()
            kill_at = _placed_kill_time(lease_watch, phase, loop_wait)
            time.sleep(max(0.0, kill_at - time.monotonic()))
            event_at = probe.mark("event")
            lab.kill(old, "KILL", with_postgres=True)
        finally:
            if lease_watch:
                lease_watch.__exit__(None, None, None)
        result = _finish(probe, watch, old, event_at, timeout)
    renewed = lease_watch.last_renewal(before=event_at) if lease_watch else None
    result["lease_left_s"] = ttl - (event_at - renewed) if renewed else None
    result["phase"] = phase
    if result["gap_s"] is not None and result["lease_left_s"] is not None:
        result["reaction_s"] = result["event_to_first_write_s"] - result["lease_left_s"]
    return result


def _placed_kill_time(lease_watch: LeaseWatch | None, phase: float | None,
                      loop_wait: float) -> float:
    now = time.monotonic()
    if lease_watch is None or phase is None:
        return now
    # A rise of the TTL needs one poll before the keepalive and one after it.
    if not lease_watch.wait_renewals(1, 2 * loop_wait + 5.0):
        return time.monotonic()
    return lease_watch.last_renewal() + phase * loop_wait


def graceful(lab: BenchLab, timeout: float) -> dict:
    """Measurement 2: SIGTERM the primary's agent (it stops PostgreSQL, then releases the key)."""
    old = lab.leader()
    if old is None:
        raise RuntimeError("no leader before the graceful stop")
    probe = _start_probe(lab, old)
    with LeaderWatch(lab.spec) as watch:
        event_at = probe.mark("event")
        stopped = lab.stop_agent(old)
        agent_exit_s = time.monotonic() - event_at
        result = _finish(probe, watch, old, event_at, timeout)
    result["agent_exit_s"] = agent_exit_s
    result["agent_was_running"] = stopped
    return result


def switchover(lab: BenchLab, tool: list[str], timeout: float) -> dict:
    """Measurement 3: `<tool> -c <lab>/patronictl.yml switchover --leader L --candidate C --force`."""
    old = lab.leader()
    if old is None:
        raise RuntimeError("no leader before the switchover")
    candidates = sorted(lab.streaming_from(old))
    if not candidates:
        raise RuntimeError(f"no replica streams from {old}")
    candidate = candidates[0]
    argv = [*tool, "-c", str(lab.spec.patronictl_config), "switchover", "--leader", old,
            "--candidate", candidate, "--force"]
    probe = _start_probe(lab, old)
    with LeaderWatch(lab.spec) as watch:
        event_at = probe.mark("event")
        try:
            cli = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except BaseException:
            probe.stop()
            raise
        cli_s = time.monotonic() - event_at
        if cli.returncode != 0:
            probe.stop()
            raise RuntimeError(f"{' '.join(argv[:1])} switchover failed ({cli.returncode}): "
                               f"{(cli.stdout + cli.stderr).strip()[-400:]}")
        result = _finish(probe, watch, old, event_at, timeout)
    result["cli_s"] = cli_s
    result["candidate"] = candidate
    if result["new"] != candidate:
        result["note"] = f"{result['new']} took over instead of {candidate}"
    return result


def rejoin(lab: BenchLab, node: str, leader: str, timeout: float) -> dict:
    """Measurement 4: start `node`'s agent again; time until `leader`'s pg_stat_replication shows
    it streaming (and, for information, until the lab's REST health predicate holds)."""
    started = time.monotonic()
    lab.start_agent(node)
    wait_until(lambda: node in lab.streaming_from(leader), timeout,
               f"{node} to stream from {leader}", interval=0.05)
    streaming_s = time.monotonic() - started
    lab.wait_healthy(timeout)
    return {"node": node, "leader": leader, "rejoin_s": streaming_s,
            "rejoin_rest_s": time.monotonic() - started}
