"""The fault checker's verdict: what one fault run did to the writes, and which invariant broke.

The workload is harness.probe.WriteProbe (a unique row to every node, directly, every 20 ms,
each acknowledgement recorded with its time, node and WAL position). After the fault heals, every
node is read back; `check` turns the receipts and the read-back into one `Verdict`, a row of the
table `table` prints. Pure: unit-tested with made-up receipts (test_checker.py).

Invariants (a broken one is a `problem`, and the repeat command exits non-zero):
  overlap    two nodes committed acknowledged writes at the same time. A row was committed
             somewhere between sending it and its acknowledgement, so node X's run of writes
             provably overlaps node Y's later run when X's last write was *sent* after Y's first
             was *acknowledged*; beyond `margin` seconds that is split brain.
  lost       synchronous mode: an acknowledged row is missing on the final leader. Asynchronous
             mode may lose rows on failover, but no more WAL than maximum_lag_on_failover.
  diverged   a replica holds rows of this run the leader lacks: it was not rewound.
  streams    every node streams from the leader again after the heal.
  lease      after a cut that failed over, the old primary acknowledged a write sent later than
             ttl plus etcd's election timeout after the cut: it wrote past the point its lease
             could have expired (see ETCD_ELECTION_TIMEOUT_S).
  failover   a fault that must not fail over (a replica cut, the primary cut from its replicas
             only) changed the leader, or one that must did not.
"""

from __future__ import annotations

import dataclasses

from .probe import Ack


@dataclasses.dataclass
class Verdict:
    run: int
    fault: str
    mode: str  # async, sync, strict
    old_primary: str | None
    new_primary: str | None  # the leader after the heal
    acks: int
    gap_s: float | None  # the longest stretch without any acknowledged write, fault to heal
    stop_s: float | None  # cut to the old primary's last acknowledged write (failovers)
    overlap_s: float  # the worst provable overlap of two nodes' writes (0: none)
    lost: int  # acknowledged rows missing on the final leader
    lost_wal: int | None  # bytes of WAL those rows span past the new timeline's fork point
    unacked: int  # rows on the leader whose acknowledgement never came back (timeouts)
    diverged: int  # rows on some replica that the leader lacks
    streams: bool
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# When the cut node hosts etcd's leader, that leader keeps renewing leases on its own until it
# steps down, up to one election timeout (etcd 3.4 has no leadership check before a renewal);
# to cover exactly this, the majority's new etcd leader restarts every lease at ttl plus one
# election timeout (etcd PR #4778, lessor Promote). So the lease the majority sees cannot expire
# before the cut plus ttl plus the election timeout: the bound a write must not pass.
ETCD_ELECTION_TIMEOUT_S = 1.0


def provable_overlap(acks: list[Ack], run_gap: float = 0.5) -> tuple[float, str]:
    """The largest time two different nodes provably both committed writes, and who."""
    runs = []  # (node, first acked, last sent)
    by_node: dict[str, list[Ack]] = {}
    for a in acks:
        by_node.setdefault(a.node, []).append(a)
    for node, items in by_node.items():
        items.sort(key=lambda a: a.acked)
        start = prev = items[0]
        for a in items[1:]:
            if a.acked - prev.acked > run_gap:
                runs.append((node, start.acked, prev.sent))
                start = a
            prev = a
        runs.append((node, start.acked, prev.sent))
    worst, who = 0.0, ""
    for node_a, first_a, last_a in runs:
        for node_b, first_b, last_b in runs:
            if node_a == node_b or first_a > first_b:
                continue
            amount = min(last_a, last_b) - first_b  # a began first; b's first commit at first_b
            if amount > worst:
                worst, who = amount, f"{node_a} and {node_b}"
    return worst, who


def longest_gap(acks: list[Ack], start: float, end: float) -> float | None:
    """From the fault to the heal: writes blocked until the heal count up to the heal."""
    times = sorted(a.acked for a in acks if start <= a.acked <= end)
    points = [start, *times, end]
    return max(b - a for a, b in zip(points, points[1:]))


def check(*, run: int, fault: str, mode: str, acks: list[Ack], present: dict[str, set | None],
          leader: str | None, old_primary: str | None, fault_at: float, healed_at: float,
          streams: bool, expect_failover: bool | None, ttl: float, margin: float = 0.0,
          fork_lsn: int | None = None, max_lag: int | None = None) -> Verdict:
    """One run's verdict. Times are time.monotonic(); `present` maps node -> keys read back
    (None: unreadable), `leader` is the leader after the heal; `fork_lsn` where its timeline
    forked from the old primary's (lost WAL is measured from there); `max_lag` the configured
    maximum_lag_on_failover in bytes."""
    problems = []
    acked = {a.key for a in acks}
    on_leader = present.get(leader) if leader else None
    if on_leader is None:
        problems.append(f"could not read back the leader {leader}")
        on_leader = set()
    lost_keys = acked - on_leader if leader and present.get(leader) is not None else set()
    lost_acks = [a for a in acks if a.key in lost_keys]
    lost_wal = None
    if lost_acks and fork_lsn is not None:
        ends = [a.lsn for a in lost_acks if a.lsn is not None]
        lost_wal = max(0, max(ends) - fork_lsn) if ends else None
    if lost_acks and mode in ("sync", "strict"):
        problems.append(f"{len(lost_acks)} acknowledged row(s) lost in {mode} mode "
                        f"(e.g. {sorted(lost_keys)[:3]})")
    if lost_acks and mode == "async" and max_lag is not None:
        if lost_wal is None:
            problems.append(f"{len(lost_acks)} acknowledged row(s) lost, WAL span unknown")
        elif lost_wal > max_lag:
            problems.append(f"lost {lost_wal} bytes of acknowledged WAL, more than "
                            f"maximum_lag_on_failover {max_lag}")
    diverged = set()
    for node, keys in present.items():
        if node == leader:
            continue
        if keys is None:
            problems.append(f"could not read back {node}")
            continue
        diverged |= keys - on_leader
    if diverged:
        problems.append(f"{len(diverged)} row(s) on a replica the leader {leader} lacks "
                        "(not rewound)")
    overlap, who = provable_overlap(acks)
    if overlap > margin:
        problems.append(f"{who} both acknowledged writes for {overlap:.3f}s (split brain)")
    if not streams:
        problems.append("not every node streams from the leader after the heal")
    failed_over = leader is not None and old_primary is not None and leader != old_primary
    if expect_failover is True and not failed_over:
        problems.append(f"expected a failover; {old_primary} is still the leader")
    if expect_failover is False and failed_over:
        problems.append(f"unexpected failover from {old_primary} to {leader}")
    stop_s = None
    if failed_over and expect_failover:
        old_after = [a for a in acks if a.node == old_primary and a.acked >= fault_at]
        stop_s = max((a.sent - fault_at for a in old_after), default=0.0)
        if stop_s > ttl + ETCD_ELECTION_TIMEOUT_S:
            problems.append(f"{old_primary} acknowledged a write sent {stop_s:.2f}s after the "
                            f"cut, past its lease (ttl {ttl:.0f}s + etcd's election timeout "
                            f"{ETCD_ELECTION_TIMEOUT_S:.0f}s)")
    return Verdict(run=run, fault=fault, mode=mode, old_primary=old_primary, new_primary=leader,
                   acks=len(acks), gap_s=longest_gap(acks, fault_at, healed_at), stop_s=stop_s,
                   overlap_s=max(overlap, 0.0), lost=len(lost_acks), lost_wal=lost_wal,
                   unacked=len(on_leader - acked), diverged=len(diverged), streams=streams,
                   problems=problems)


COLUMNS = ("run", "fault", "mode", "leader", "acks", "gap s", "stop s", "overlap s", "lost",
           "lost WAL", "unacked", "diverged", "streams", "verdict")


def row(v: Verdict) -> list[str]:
    def num(x, fmt="{:.2f}"):
        return "-" if x is None else fmt.format(x)

    short = (lambda n: (n or "?").removeprefix("postgresql-"))
    leader = short(v.old_primary) + ("" if v.new_primary == v.old_primary
                                     else f">{short(v.new_primary)}")
    return [str(v.run), v.fault, v.mode, leader, str(v.acks), num(v.gap_s), num(v.stop_s),
            num(v.overlap_s, "{:.3f}"), str(v.lost), num(v.lost_wal, "{}"), str(v.unacked),
            str(v.diverged), "yes" if v.streams else "NO", "ok" if v.ok else "FAIL"]


def table(verdicts: list[Verdict]) -> str:
    """A Markdown table, one row per run, then each broken invariant."""
    rows = [list(COLUMNS), *map(row, verdicts)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    lines = [fmt(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt(r) for r in rows[1:]]
    for v in verdicts:
        for p in v.problems:
            lines.append(f"run {v.run} ({v.fault}): {p}")
    return "\n".join(lines)


def totals(verdicts: list[Verdict]) -> str:
    failed = [v for v in verdicts if not v.ok]
    gaps = sorted(v.gap_s for v in verdicts if v.gap_s is not None)
    gap = f"median write gap {gaps[len(gaps) // 2]:.2f}s, max {gaps[-1]:.2f}s" if gaps else "no gap"
    return (f"{len(verdicts)} run(s), {len(failed)} broke an invariant; acknowledged rows "
            f"{sum(v.acks for v in verdicts)}, lost {sum(v.lost for v in verdicts)}, worst overlap "
            f"{max((v.overlap_s for v in verdicts), default=0.0):.3f}s, {gap}")
