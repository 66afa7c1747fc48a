"""The results file and the table.

Every measurement appends one JSON line to results.jsonl as soon as it is taken:
  {"agent", "profile", "timing": [ttl, loop_wait, retry_timeout], "rep", "measure",
   "ok": bool, "error": str | None, "figures": {...}, "load": [1, 5, 15 min], "at": unix time}
so an interrupted run keeps what it measured, and `run.py --report FILE` renders any file again.
The table shows, per profile and row, min / **median** / max for each agent and the ratio of the
medians (pghalo / Patroni).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

from .stats import ratio, ratio_cell, summarize

AGENTS = ("pghalo", "patroni")
AGENT_TITLES = {"pghalo": "pghalo", "patroni": "Patroni 3.0.2"}


@dataclasses.dataclass(frozen=True)
class Row:
    label: str
    measure: str
    key: str
    fmt: str = ".2f"


ROWS = [
    Row("1. crash failover: write gap (s)", "crash", "gap_s"),
    Row("   lease time left at the kill (s)", "crash", "lease_left_s"),
    Row("   agent's share: kill to first write - lease left (s)", "crash", "reaction_s"),
    Row("   leader key gone to first write on the new primary (s)", "crash",
        "key_gone_to_first_write_s"),
    Row("2. graceful stop: write gap (s)", "graceful", "gap_s"),
    Row("   SIGTERM to leader key gone (s)", "graceful", "event_to_key_gone_s"),
    Row("   leader key gone to first write on the new primary (s)", "graceful",
        "key_gone_to_first_write_s"),
    Row("3. switchover, patronictl: write gap (s)", "switchover_patronictl", "gap_s"),
    Row("   switchover, pghaloctl: write gap (s)", "switchover_pghaloctl", "gap_s"),
    Row("   patronictl command duration (s)", "switchover_patronictl", "cli_s"),
    Row("   pghaloctl command duration (s)", "switchover_pghaloctl", "cli_s"),
    Row("4. rejoin after the crash (s)", "rejoin_crash", "rejoin_s"),
    Row("   rejoin after the graceful stop (s)", "rejoin_graceful", "rejoin_s"),
    Row("5. bootstrap: empty to 1 leader + 2 streaming (s)", "bootstrap", "bootstrap_s"),
    Row("6. RSS idle, largest agent (MB)", "footprint_idle", "rss_mb_max", ".1f"),
    Row("   private memory idle, largest agent (MB)", "footprint_idle", "private_mb_max", ".1f"),
    Row("   PSS idle, largest agent (MB)", "footprint_idle", "pss_mb_max", ".1f"),
    Row("   CPU idle, per agent (s per 60 s)", "footprint_idle", "cpu_s_mean", ".3f"),
    Row("   RSS under pgbench, largest agent (MB)", "footprint_load", "rss_mb_max", ".1f"),
    Row("   CPU under pgbench, per agent (s per 60 s)", "footprint_load", "cpu_s_mean", ".3f"),
    Row("7. GET /primary on the leader (req/s)", "rest_primary", "rps", ".0f"),
    Row("   GET /primary p50 (ms)", "rest_primary", "p50_ms"),
    Row("   GET /primary p99 (ms)", "rest_primary", "p99_ms"),
    Row("   GET /replica on a replica (req/s)", "rest_replica", "rps", ".0f"),
    Row("   GET /replica p50 (ms)", "rest_replica", "p50_ms"),
    Row("   GET /replica p99 (ms)", "rest_replica", "p99_ms"),
    Row("   GET /patroni on the leader (req/s)", "rest_patroni", "rps", ".0f"),
    Row("   GET /patroni p50 (ms)", "rest_patroni", "p50_ms"),
    Row("   GET /patroni p99 (ms)", "rest_patroni", "p99_ms"),
    Row("   GET /cluster on the leader (req/s)", "rest_cluster", "rps", ".0f"),
    Row("   GET /cluster p50 (ms)", "rest_cluster", "p50_ms"),
    Row("   GET /cluster p99 (ms)", "rest_cluster", "p99_ms"),
    Row("   health check, PostgreSQL hung: p99 (ms)", "health_hung", "p99_ms"),
    Row("   health check, PostgreSQL hung: max (ms)", "health_hung", "max_ms"),
    Row("   health check, PostgreSQL hung: unanswered in 5 s", "health_hung", "unanswered",
        ".0f"),
    Row("   health check, PostgreSQL stopped: p99 (ms)", "health_stopped", "p99_ms"),
    Row("   health check, PostgreSQL stopped: max (ms)", "health_stopped", "max_ms"),
    Row("8. soak: leader changes + key losses", "soak", "false_failovers", ".0f"),
]


def _difference(later: str, earlier: str):
    def compute(figures: dict) -> float | None:
        a, b = figures.get(later), figures.get(earlier)
        return a - b if a is not None and b is not None else None
    return compute


# Figures computed from others, so results files written before they existed still show them.
DERIVED = {
    "key_gone_to_first_write_s": _difference("event_to_first_write_s", "event_to_key_gone_s"),
}


def figure(record: dict, key: str) -> float | None:
    figures = record["figures"]
    if key in figures:
        return figures[key]
    return DERIVED[key](figures) if key in DERIVED else None


def load(path: str | Path) -> list[dict]:
    records = []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records


def append(path: Path, record: dict) -> None:
    with open(path, "a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")


def profile_order(records: list[dict]) -> list[tuple[str, tuple]]:
    seen: dict[str, tuple] = {}
    for r in records:
        seen.setdefault(r["profile"], tuple(r.get("timing") or ()))
    return list(seen.items())


def render(records: list[dict], rows=ROWS) -> str:
    """Markdown: one table per profile, rows that have no sample in that profile left out."""
    out = []
    for profile, timing in profile_order(records):
        mine = [r for r in records if r["profile"] == profile]
        title = f"### Profile `{profile}`"
        if timing:
            title += f": ttl {timing[0]}, loop_wait {timing[1]}, retry_timeout {timing[2]}"
        out += [title, "",
                f"| measurement | {AGENT_TITLES['pghalo']} min / **median** / max | "
                f"{AGENT_TITLES['patroni']} min / **median** / max | ratio of medians |",
                "|---|---|---|---|"]
        for row in rows:
            cells = {}
            for agent in AGENTS:
                samples = [r for r in mine if r["agent"] == agent and r["measure"] == row.measure]
                values = [figure(r, row.key) for r in samples if r["ok"]]
                failures = sum(1 for r in samples if not r["ok"])
                cells[agent] = summarize([v for v in values if v is not None], failures)
            if all(c.n == 0 and c.failures == 0 for c in cells.values()):
                continue
            label = row.label or '"'
            out.append(f"| {label} | {cells['pghalo'].cell(row.fmt)} | "
                       f"{cells['patroni'].cell(row.fmt)} | "
                       f"{ratio_cell(ratio(cells['pghalo'], cells['patroni']))} |")
        out.append("")
    return "\n".join(out)


def failures(records: list[dict]) -> list[str]:
    return [f"{r['agent']} {r['profile']} rep {r['rep']} {r['measure']}: {r['error']}"
            for r in records if not r["ok"]]


def load_summary(records: list[dict]) -> str:
    loads = [r["load"][0] for r in records if r.get("load")]
    if not loads:
        return ""
    return (f"1-minute load average during the measurements: min {min(loads):.1f}, "
            f"median {statistics.median(loads):.1f}, max {max(loads):.1f}")


def load_table(records: list[dict]) -> str:
    """Markdown: per profile, measurement and agent, the range of the 1-minute load average just
    before and just after each sample (the machine is shared, so every figure says how busy it
    was)."""
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["profile"], r["measure"], r["agent"]), []).append(r)
    if not groups:
        return ""

    def span(values):
        values = [v for v in values if v is not None]
        return f"{min(values):.1f}-{max(values):.1f}" if values else "-"

    out = ["| profile | measurement | agent | n | load before | load after |",
           "|---|---|---|---|---|---|"]
    for (profile, measure, agent), rs in groups.items():
        before = span((r.get("load_before") or [None])[0] for r in rs)
        after = span((r.get("load") or [None])[0] for r in rs)
        out.append(f"| {profile} | {measure} | {agent} | {len(rs)} | {before} | {after} |")
    return "\n".join(out)
