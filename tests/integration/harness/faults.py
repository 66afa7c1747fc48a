"""The fault menu, run against a netns lab under the write probe, each run judged by the checker.

One run: wait for a healthy cluster, start the probe (a row to every node every 20 ms), apply
one fault (a network cut made with iptables inside a node's namespace, or SIGKILL), wait for what
the fault must cause (a new leader, or the old one holding on), heal it, wait until every node
streams again, read every node back, and judge (harness.checker).

The repeat mode brings up its own netns lab (root only) and runs the menu N times in an order
drawn from a seed, then prints the checker's table; it exits 1 when any invariant broke:

  cd tests/integration && PGHALO_BUILD_DIR=../../build/dev \\
      python3 -m harness.faults --runs 50 --seed 1 --mode sync --base-port 18500
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time

from . import checker
from .lab import Lab, LabError, wait_until
from .probe import WriteProbe, parse_lsn

from labkit import etcd  # noqa: E402 - importable once .lab put lab/ on sys.path


@dataclasses.dataclass(frozen=True)
class Fault:
    name: str
    victim: str  # "primary" or "replica"
    target: str | None  # what the victim is cut from (labkit.netns); None: SIGKILL
    one_way: str | None = None
    failover: bool | None = True  # must it (True), must it not (False), either (None)
    what: str = ""


MENU = {f.name: f for f in [
    Fault("primary-all", "primary", "all", None, True,
          "the primary cut from every other node (the seed's Test 3)"),
    Fault("primary-etcd", "primary", "etcd", None, True,
          "the primary's agent cut from every etcd member; its peers still reachable"),
    Fault("replica-etcd", "replica", "etcd", None, False,
          "a replica's agent cut from every etcd member"),
    Fault("primary-peers", "primary", "peers", None, False,
          "the primary cut from its replicas (PostgreSQL and REST), etcd still reachable"),
    Fault("primary-in", "primary", "all", "in", None,
          "one way: the primary receives nothing from the other nodes"),
    Fault("primary-out", "primary", "all", "out", None,
          "one way: nothing the primary sends reaches the other nodes"),
    Fault("primary-kill", "primary", None, None, True,
          "SIGKILL of the primary's agent and PostgreSQL under load"),
]}

MODES = {"async": (False, False), "sync": (True, False), "strict": (True, True)}


def sync_key(lab: Lab) -> str:
    return lab.spec.leader_key().rsplit("/", 1)[0] + "/sync"


def sync_standbys(lab: Lab) -> list[str]:
    """The members `/sync` lists (empty when absent or unreadable)."""
    try:
        raw = etcd.get_value(lab.spec, sync_key(lab))
    except LabError:
        return []
    if not raw:
        return []
    value = json.loads(raw).get("sync_standby") or ""
    return [n for n in value.split(",") if n]


def set_mode(lab: Lab, mode: str, timeout: float = 60.0) -> None:
    """Switches synchronous replication per MODES through PATCH /config; in sync modes, waits
    until `/sync` lists a standby (so the next fault starts with one)."""
    sync, strict = MODES[mode]
    leader = wait_until(lab.leader, 30.0, "a leader")
    status, body = lab.rest(leader, "/config", "PATCH",
                            {"synchronous_mode": sync, "synchronous_mode_strict": strict})
    if status != 200:
        raise LabError(f"PATCH /config on {leader} answered {status}: {body}")
    if sync:
        wait_until(lambda: sync_standbys(lab), timeout, "a synchronous standby in /sync")
    else:
        wait_until(lambda: not sync_standbys(lab), timeout, "/sync to be withdrawn")


def fork_lsn(lab: Lab, leader: str) -> int | None:
    """Where the leader's current timeline forked from its parent (None on timeline 1)."""
    try:
        (tli,), = lab.sql(leader, "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")
        if int(tli, 16) <= 1:
            return None
        (text,), = lab.sql(leader, f"SELECT pg_read_file('pg_wal/{tli}.history')")
    except Exception:  # noqa: BLE001 - an unreadable history only loses the byte figure
        return None
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    return parse_lsn(lines[-1][1]) if lines and len(lines[-1]) > 1 else None


def _pick_victim(lab: Lab, fault: Fault, leader: str, rng: random.Random) -> str:
    if fault.victim == "primary":
        return leader
    replicas = sorted(set(lab.nodes) - {leader})
    synced = [n for n in sync_standbys(lab) if n in replicas]
    return synced[0] if synced else rng.choice(replicas)  # the sync standby is the worst case


def _new_leader(lab: Lab, old: str):
    name = lab.leader()
    return name if name not in (None, old) else None


def run_fault(lab: Lab, fault: Fault, run: int = 1, mode: str = "async",
              rng: random.Random | None = None, out=None) -> checker.Verdict:
    """Applies `fault` once under the write probe and returns the checker's verdict. The fault
    is always healed (finally), also when a wait times out."""
    say = out or (lambda _line: None)
    rng = rng or random.Random(run)
    ttl = float(lab.spec.ttl)
    lab.wait_healthy(120.0)
    old = wait_until(lab.leader, 30.0, "a leader")
    victim = _pick_victim(lab, fault, old, rng)
    probe = WriteProbe.for_lab(lab)
    probe.create_table(old)
    probe.start()
    healed_at = None
    try:
        wait_until(lambda: probe.acked_on(old) >= 5, 15.0, f"writes acknowledged by {old}")
        time.sleep(1.0)
        fault_at = probe.mark("fault")
        if fault.target is None:
            lab.kill(victim, "KILL", with_postgres=True)
        else:
            lab.cut(victim, fault.target, fault.one_way)
        say(f"run {run}: {fault.name} on {victim} ({fault.what})")
        try:
            if fault.failover is True:
                try:
                    new = wait_until(lambda: _new_leader(lab, old), 4 * ttl, "a new leader")
                    wait_until(lambda: probe.acked_on(new) > 0, 20.0, f"a write on {new}")
                except TimeoutError as e:
                    say(f"run {run}: {e}")  # the checker reports the missing failover
            elif fault.failover is False:
                time.sleep(ttl + 2 * lab.spec.loop_wait)  # long enough for a lease to expire
            else:
                try:
                    wait_until(lambda: _new_leader(lab, old), 2 * ttl, "a new leader")
                except TimeoutError:
                    pass  # a one-way cut may leave the leader in place: the checker decides
            time.sleep(1.0)
        finally:
            if fault.target is None:
                lab.start_agent(victim)
            else:
                lab.heal(victim)
            healed_at = probe.mark("heal")
        try:
            lab.wait_healthy(120.0)
            streams = True
        except (TimeoutError, LabError) as e:
            say(f"run {run}: not healthy after the heal: {e}")
            streams = False
        leader = lab.leader()
        if leader:
            try:
                seen = probe.acked_on(leader)
                wait_until(lambda: probe.acked_on(leader) > seen, 15.0, f"writes on {leader}")
            except TimeoutError:
                pass  # strict mode without a standby, say: the checker reports the gap
        time.sleep(0.5)
    finally:
        probe.stop()
    leader = lab.leader()
    present = probe.read_back(leader) if leader else {n: None for n in lab.nodes}
    with probe._lock:
        acks = list(probe.acks)
    return checker.check(
        run=run, fault=fault.name, mode=mode, acks=acks, present=present, leader=leader,
        old_primary=old, fault_at=fault_at, healed_at=healed_at or time.monotonic(),
        streams=streams, expect_failover=fault.failover, ttl=ttl,
        fork_lsn=fork_lsn(lab, leader) if leader and leader != old else None,
        max_lag=1048576)


def repeat(lab: Lab, runs: int, seed: int, mode: str, names: list[str], out=print):
    """Runs `runs` faults drawn from `names` in an order fixed by `seed`; returns the verdicts."""
    rng = random.Random(seed)
    verdicts = []
    for run in range(1, runs + 1):
        fault = MENU[rng.choice(names)]
        started = time.monotonic()
        try:
            v = run_fault(lab, fault, run, mode, rng, out)
        except (TimeoutError, LabError) as e:
            v = checker.Verdict(run, fault.name, mode, None, None, 0, None, None, 0.0, 0, None,
                                0, 0, False, [f"the run could not complete: {e}"])
            for node in lab.nodes:  # leave no cut behind for the next run
                lab.heal(node)
        verdicts.append(v)
        out(f"run {run}: {fault.name} {'ok' if v.ok else 'FAIL'} in "
            f"{time.monotonic() - started:.0f}s" + "".join(f"; {p}" for p in v.problems))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m harness.faults", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=len(MENU))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mode", choices=sorted(MODES), default="sync")
    p.add_argument("--faults", default=",".join(MENU),
                   help="comma-separated subset of the menu: " + ", ".join(MENU))
    p.add_argument("--base-port", type=int, help="the lab's base port (default: a free one)")
    p.add_argument("--agent-bin", help="the pghalo binary (default: $PGHALO_BUILD_DIR's)")
    p.add_argument("--list", action="store_true", help="print the menu and exit")
    args = p.parse_args(argv)
    if args.list:
        for f in MENU.values():
            print(f"{f.name:<14} {f.what}")
        return 0
    names = [n.strip() for n in args.faults.split(",") if n.strip()]
    unknown = [n for n in names if n not in MENU]
    if unknown or not names:
        p.error(f"unknown fault(s) {', '.join(unknown) or '(none given)'}: "
                f"choose from {', '.join(MENU)}")
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if os.geteuid() != 0:
        p.error("the netns lab needs root (network namespaces and iptables)")
    options = {"agent_bin": args.agent_bin} if args.agent_bin else {
        "build_dir": os.environ.get("PGHALO_BUILD_DIR")}
    started = time.monotonic()
    with Lab(agent="pghalo", base_port=args.base_port, profile="fast", netns=True,
             **options) as lab:
        set_mode(lab, args.mode)
        verdicts = repeat(lab, args.runs, args.seed, args.mode, names)
    print()
    print(f"python3 -m harness.faults --runs {args.runs} --seed {args.seed} --mode {args.mode} "
          f"--faults {','.join(names)}  ({time.monotonic() - started:.0f}s)")
    print(checker.table(verdicts))
    print(checker.totals(verdicts))
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
