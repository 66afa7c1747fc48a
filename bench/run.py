#!/usr/bin/env python3
"""pghalo and Patroni 3.0.2 side by side: the same lab, YAML, ports and timing, one after the other.

    ./dev bench                        # everything: 5 rounds per agent and profile, then the soaks
    ./dev bench --quick                # 1 round each, short windows: a smoke run (~25 min)
    ./dev bench --only crash,graceful --profiles fast --reps 3
    ./dev bench --report bench/out/<run>/results.jsonl      # print a finished run's table again

A round is one lab (3 etcd, 3 PostgreSQL 15, HAProxy) under one agent with one timing profile,
brought up on empty data directories and torn down at the end whatever happens. In each round,
in this order: bootstrap (5), footprint idle and under pgbench (6), REST (7), switchover with
patronictl and, for pghalo, pghaloctl (3), graceful stop and rejoin (2, 4), crash and rejoin
(1, 4). Rounds alternate between the agents (pghalo first in even rounds, Patroni first in odd
ones). The soak (8) runs after all rounds: one lab per agent and soak profile.

Results go to bench/out/<UTC time>/: results.jsonl (one line per measurement, written as it is
taken), table.md, machine.json, and the agents' logs of any round that failed.
See docs/benchmarks.md for what each figure means and where its floor is.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
sys.path.insert(0, str(REPO_ROOT / "lab"))
sys.path.insert(0, str(BENCH_DIR))

from harness import pg  # noqa: E402
from labkit import ops  # noqa: E402
from labkit.layout import PROFILES as LAB_PROFILES  # noqa: E402
from labkit.layout import LabError, pghalo_bin  # noqa: E402

from benchkit import failover, footprint, report, rest, soak  # noqa: E402
from benchkit.labrun import BenchLab  # noqa: E402

# The profiles: the seed's with its retry_timeout lowered to what Patroni's own rule
# allows (loop_wait + 2 * retry_timeout <= ttl), the lab's fast one, pghalo's default (what the
# agent uses when /config says nothing: DynamicConfig in src/config/config.h, today Patroni's own
# defaults, so the same timing as `seed`), and `candidate`, the lab's placeholder for a faster
# recommended default (labkit.layout.PROFILES["pghalo"]), to measure before anyone adopts it.
PROFILES = {
    "seed": (30, 10, 10),
    "fast": (10, 2, 4),
    "default": (30, 10, 10),
    "candidate": LAB_PROFILES["pghalo"],
}
SOAK_PROFILES = ("fast", "default")
MEASURES = ("bootstrap", "footprint", "rest", "health", "switchover", "graceful", "crash", "soak")
PATRONICTL = ["/usr/bin/patronictl"]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./dev bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(MEASURES),
                   help=f"comma-separated subset of {','.join(MEASURES)} (bootstrap always runs: "
                        "every round starts from empty data directories)")
    p.add_argument("--profiles", default="seed,fast,default",
                   help=f"comma-separated subset of {','.join(PROFILES)}; a profile whose timing "
                        "equals one listed before it runs once, under the first name")
    p.add_argument("--agents", default="pghalo,patroni")
    p.add_argument("--reps", type=int, default=None,
                   help="rounds per agent and profile (default 5, 1 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="1 round, 10 s footprint windows, 3 s wrk, 60 s soak (unless given)")
    p.add_argument("--default-profile", metavar="TTL,LOOP_WAIT,RETRY_TIMEOUT",
                   help=f"timing of the `default` profile (default {PROFILES['default']})")
    p.add_argument("--footprint-seconds", type=float, default=None, help="default 60")
    p.add_argument("--wrk-seconds", type=int, default=None, help="default 10")
    p.add_argument("--crash-phase", type=float, default=None, metavar="FRACTION",
                   help="kill this fraction of loop_wait after a keepalive (default: repetition "
                        "i of n uses (i + 0.5) / n, so the phases spread over the loop)")
    p.add_argument("--rep-offset", type=int, default=0, metavar="N",
                   help="number the repetitions from N: odd ones run Patroni first and "
                        "pghaloctl before patronictl (to continue a run in parts)")
    p.add_argument("--soak-minutes", type=float, default=None, help="default 10")
    p.add_argument("--soak-profiles", default=",".join(SOAK_PROFILES))
    p.add_argument("--soak-reps", type=int, default=1, help="soak labs per agent and profile")
    p.add_argument("--base-port", type=int, default=20000, help="lab base port (default 20000)")
    p.add_argument("--build-dir", default=None,
                   help="pghalo build directory (default $PGHALO_BUILD_DIR, build/release, "
                        "build/dev)")
    p.add_argument("--out", default=None, help="output directory (default bench/out/<UTC time>)")
    p.add_argument("--keep-logs", action="store_true", help="keep every round's agent logs")
    p.add_argument("--report", metavar="RESULTS_JSONL",
                   help="print the table of a results file and exit")
    args = p.parse_args(argv)
    args.only = set(filter(None, args.only.split(",")))
    unknown = args.only - set(MEASURES)
    if unknown:
        p.error(f"unknown measurement(s): {', '.join(sorted(unknown))}")
    args.profiles = [x for x in args.profiles.split(",") if x]
    args.soak_profiles = [x for x in args.soak_profiles.split(",") if x]
    args.agents = [x for x in args.agents.split(",") if x]
    if args.default_profile:
        values = tuple(int(v) for v in args.default_profile.split(","))
        if len(values) != 3:
            p.error("--default-profile needs TTL,LOOP_WAIT,RETRY_TIMEOUT")
        PROFILES["default"] = values
    for name in [*args.profiles, *args.soak_profiles]:
        if name not in PROFILES:
            p.error(f"unknown profile {name!r}")
    args.profiles = distinct_timings(args.profiles)
    args.soak_profiles = distinct_timings(args.soak_profiles)
    for agent in args.agents:
        if agent not in report.AGENTS:
            p.error(f"unknown agent {agent!r}")
    args.reps = args.reps or (1 if args.quick else 5)
    args.footprint_seconds = args.footprint_seconds or (10.0 if args.quick else 60.0)
    args.wrk_seconds = args.wrk_seconds or (3 if args.quick else 10)
    args.soak_minutes = args.soak_minutes or (1.0 if args.quick else 10.0)
    return args


def distinct_timings(names: list[str]) -> list[str]:
    """`names` without those whose timing equals an earlier one's (measured once, not twice)."""
    kept: dict[tuple, str] = {}
    for name in names:
        if PROFILES[name] in kept:
            print(f"profile {name} {PROFILES[name]} is profile {kept[PROFILES[name]]}: "
                  "measured once, under that name", file=sys.stderr)
        else:
            kept[PROFILES[name]] = name
    return list(kept.values())


# ----------------------------------------------------------------------------- machine facts

def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def machine_facts(build_dir: str | None) -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    git = _first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(), "os": _first_line(["sh", "-c", ". /etc/os-release && "
                                                               "echo $PRETTY_NAME"]),
        "pghalo": _first_line([pghalo_bin(build_dir), "--version"]),
        "pghalo_commit": git,
        "pghalo_binary": pghalo_bin(build_dir),
        "patroni": _first_line(["/usr/bin/patroni", "--version"]),
        "etcd": _first_line(["/usr/bin/etcd", "--version"]),
        "postgres": _first_line(["/usr/lib/postgresql/15/bin/postgres", "--version"]),
        "wrk": _first_line(["/usr/bin/wrk", "--version"]),
        "load_at_start": list(os.getloadavg()),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


# ------------------------------------------------------------------------------------ rounds

class Runner:
    def __init__(self, args: argparse.Namespace, out_dir: Path):
        self.args = args
        self.out_dir = out_dir
        self.results = out_dir / "results.jsonl"
        self.pghaloctl = Path(pghalo_bin(args.build_dir)).with_name("pghaloctl")

    def say(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        print(f"[{stamp}] {text}", flush=True)

    def record(self, ctx: dict, measure: str, figures: dict | None, error: str | None = None,
               load_before: list[float] | None = None):
        rec = {**ctx, "measure": measure, "ok": error is None, "error": error,
               "figures": figures or {}, "load_before": load_before,
               "load": list(os.getloadavg()), "at": time.time()}
        report.append(self.results, rec)
        shown = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in (figures or {}).items()
                          if isinstance(v, (int, float, str)) and not isinstance(v, bool))
        self.say(f"  {measure}: " + (f"FAILED: {error}" if error else shown))

    def step(self, ctx: dict, measure: str, fn) -> dict | None:
        """Runs one measurement; records its figures or its failure. Returns the figures."""
        load_before = list(os.getloadavg())  # the machine is shared: say how busy it was
        try:
            figures = fn()
        except Exception as e:  # noqa: BLE001 - recorded, and the round goes on or ends
            self.record(ctx, measure, None, f"{type(e).__name__}: {e}", load_before)
            traceback.print_exc(file=sys.stderr)
            return None
        self.record(ctx, measure, figures, load_before=load_before)
        return figures

    def lab(self, agent: str, profile: str) -> BenchLab:
        ttl, loop_wait, retry = PROFILES[profile]
        return BenchLab(agent=agent, base_port=self.args.base_port, profile="custom", ttl=ttl,
                        loop_wait=loop_wait, retry_timeout=retry, wait_timeout=240.0,
                        build_dir=self.args.build_dir)

    def save_logs(self, lab: BenchLab, name: str) -> None:
        target = self.out_dir / "logs" / name
        target.mkdir(parents=True, exist_ok=True)
        for n in lab.spec.node_numbers():
            for src in (lab.spec.agent_log(n), lab.spec.node_dir(n) / "pglog" / "postgresql.log"):
                if src.exists():
                    shutil.copy(src, target / f"node{n}-{src.name}")

    def round(self, agent: str, profile: str, rep: int) -> None:
        only = self.args.only
        ttl, loop_wait, _retry = PROFILES[profile]
        ctx = {"agent": agent, "profile": profile, "timing": list(PROFILES[profile]), "rep": rep}
        self.say(f"round: {agent}, profile {profile} {PROFILES[profile]}, repetition {rep + 1}")
        lab = self.lab(agent, profile)
        failed = False
        try:
            figures = self.step(ctx, "bootstrap", lambda: (lab.up(), lab.bootstrap)[1])
            if figures is None:
                failed = True
                return
            timeout = 2 * ttl + 30.0
            if "footprint" in only:
                failed |= not self._footprint(ctx, lab)
            if "rest" in only:
                failed |= not self._rest(ctx, lab)
            if "health" in only:
                failed |= not self._hung(ctx, lab)
            if "switchover" in only:
                tools = [("switchover_patronictl", PATRONICTL)]
                if agent == "pghalo" and self.pghaloctl.exists():
                    tools.append(("switchover_pghaloctl", [str(self.pghaloctl)]))
                if rep % 2:
                    tools.reverse()
                for measure, tool in tools:
                    failed |= self.step(ctx, measure,
                                        lambda: failover.switchover(lab, tool, timeout)) is None
                    self._healthy(lab)
            if "graceful" in only:
                failed |= not self._handover(ctx, lab, "graceful",
                                             lambda: failover.graceful(lab, timeout), timeout)
            if "crash" in only:
                phase = self.args.crash_phase
                if phase is None:
                    phase = (rep - self.args.rep_offset + 0.5) / self.args.reps
                failed |= not self._handover(
                    ctx, lab, "crash",
                    lambda: failover.crash(lab, phase, loop_wait, ttl, timeout), timeout)
        except Exception as e:  # noqa: BLE001 - the round ends; the run goes on
            failed = True
            self.record(ctx, "round", None, f"{type(e).__name__}: {e}")
            traceback.print_exc(file=sys.stderr)
        finally:
            if lab.state is not None and (failed or self.args.keep_logs):
                self.save_logs(lab, f"{agent}-{profile}-{rep}")
            self.say("  tearing the lab down")
            lab.down()

    def _healthy(self, lab: BenchLab) -> None:
        lab.wait_healthy(180.0)

    def _footprint(self, ctx: dict, lab: BenchLab) -> bool:
        seconds = self.args.footprint_seconds

        def idle():
            return _footprint_figures(footprint.sample(lab.agent_pids(), seconds), lab.leader())

        ok = self.step(ctx, "footprint_idle", idle) is not None
        leader = lab.leader()
        port = lab.pg_port(leader)

        def load():
            footprint.pgbench_init("127.0.0.1", port, scale=10)
            figures, tps = footprint.under_pgbench(lab.agent_pids(), "127.0.0.1", port, seconds)
            lab.sql(leader, "CHECKPOINT", timeout=120.0)  # the hand-overs start from clean buffers
            return {**_footprint_figures(figures, leader), "pgbench_tps": tps}

        ok &= self.step(ctx, "footprint_load", load) is not None
        self._healthy(lab)
        return ok

    def _rest(self, ctx: dict, lab: BenchLab) -> bool:
        leader = lab.leader()
        replica = sorted(set(lab.nodes) - {leader})[0]
        ok = True
        for measure, node, path in (("rest_primary", leader, "/primary"),
                                    ("rest_replica", replica, "/replica"),
                                    ("rest_patroni", leader, "/patroni"),
                                    ("rest_cluster", leader, "/cluster")):
            url = f"http://127.0.0.1:{lab.spec.rest_port(lab.number(node))}{path}"
            ok &= self.step(ctx, measure,
                            lambda: rest.wrk(url, seconds=self.args.wrk_seconds)) is not None
        return ok

    def _hung(self, ctx: dict, lab: BenchLab) -> bool:
        """Health checks (GET /replica, as HAProxy's read backend) on a replica whose PostgreSQL
        is hung (SIGSTOP), then on one whose PostgreSQL is shut down (cluster paused)."""
        replica = sorted(set(lab.nodes) - {lab.leader()})[0]

        def hung():
            figures = rest.while_hung(lab, replica, "/replica", 5.0)
            figures["unanswered"] = figures["timeouts"] + figures["errors"]
            return figures

        ok = self.step(ctx, "health_hung", hung) is not None
        self._healthy(lab)
        ok &= self.step(ctx, "health_stopped",
                        lambda: rest.while_stopped(lab, replica, "/replica", 5.0,
                                                   PATRONICTL)) is not None
        self._healthy(lab)
        return ok

    def _handover(self, ctx: dict, lab: BenchLab, measure: str, fn, timeout: float) -> bool:
        figures = self.step(ctx, measure, fn)
        if figures is None:
            return False
        return self.step(ctx, f"rejoin_{measure}",
                         lambda: failover.rejoin(lab, figures["old"], figures["new"],
                                                 max(timeout, 120.0))) is not None

    def soak(self, agent: str, profile: str, rep: int) -> None:
        ctx = {"agent": agent, "profile": profile, "timing": list(PROFILES[profile]), "rep": rep}
        seconds = self.args.soak_minutes * 60
        self.say(f"soak: {agent}, profile {profile} {PROFILES[profile]}, {seconds:.0f} s of "
                 "pgbench and two CPU hogs")
        lab = self.lab(agent, profile)
        failed = True
        try:
            lab.up()
            footprint.pgbench_init("127.0.0.1", lab.pg_port(lab.leader()), scale=10)

            def measure():
                figures = soak.run(lab, seconds)
                figures["false_failovers"] = (figures["leader_changes"]
                                              + figures["leader_key_losses"])
                return figures

            failed = self.step(ctx, "soak", measure) is None
        except Exception as e:  # noqa: BLE001
            self.record(ctx, "soak", None, f"{type(e).__name__}: {e}")
            traceback.print_exc(file=sys.stderr)
        finally:
            if lab.state is not None and (failed or self.args.keep_logs):
                self.save_logs(lab, f"soak-{agent}-{profile}-{rep}")
            lab.down()

    def run(self) -> None:
        args = self.args
        lab_measures = set(args.only) - {"soak"}
        if lab_measures:
            for profile in args.profiles:
                for rep in range(args.rep_offset, args.rep_offset + args.reps):
                    agents = list(args.agents) if rep % 2 == 0 else list(reversed(args.agents))
                    for agent in agents:
                        self.round(agent, profile, rep)
        if "soak" in args.only:
            for profile in args.soak_profiles:
                for rep in range(args.soak_reps):
                    agents = list(args.agents) if rep % 2 == 0 else list(reversed(args.agents))
                    for agent in agents:
                        self.soak(agent, profile, rep)


def _footprint_figures(per_node: dict[str, dict], leader: str | None) -> dict:
    if not per_node:
        raise RuntimeError("no agent process to measure")
    cpu = [v["cpu_s"] for v in per_node.values()]
    figures = {"rss_mb_max": max(v["rss_mb"] for v in per_node.values()),
               "cpu_s_mean": sum(cpu) / len(cpu), "agents": len(per_node),
               "per_node": per_node}
    for kind in ("private_mb", "pss_mb"):
        values = [v[kind] for v in per_node.values() if kind in v]
        if values:
            figures[kind + "_max"] = max(values)
    if leader in per_node:
        figures["leader_cpu_s"] = per_node[leader]["cpu_s"]
        figures["leader_rss_mb"] = per_node[leader]["rss_mb"]
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        records = report.load(args.report)
        print(report.render(records))
        print(report.load_summary(records) + "\n\n" + report.load_table(records))
        for line in report.failures(records):
            print(f"failed: {line}")
        return 0
    pg.require()
    out_dir = Path(args.out) if args.out else (
        BENCH_DIR / "out" / datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S"))
    out_dir.mkdir(parents=True, exist_ok=True)
    facts = machine_facts(args.build_dir)
    facts["command"] = " ".join(["./dev bench", *(argv if argv is not None else sys.argv[1:])])
    facts["profiles"] = {p: PROFILES[p] for p in {*args.profiles, *args.soak_profiles}}
    (out_dir / "machine.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts, indent=2))
    runner = Runner(args, out_dir)
    try:
        runner.run()
    except KeyboardInterrupt:
        print("interrupted; the table below has what was measured", file=sys.stderr)
    except LabError as e:
        print(f"lab error: {e}", file=sys.stderr)
    finally:
        # Whatever happened, no lab of ours stays up.
        lab_dir = Path(f"/tmp/pghalo-lab-{args.base_port}")
        if lab_dir.exists():
            try:
                ops.down(lab_dir, out=None)
            except LabError:
                pass
    records = report.load(runner.results) if runner.results.exists() else []
    table = report.render(records)
    facts["load_at_end"] = list(os.getloadavg())
    (out_dir / "machine.json").write_text(json.dumps(facts, indent=2) + "\n")
    loads = report.load_summary(records) + "\n\n" + report.load_table(records)
    (out_dir / "table.md").write_text(table + "\n" + loads + "\n")
    print(table)
    print(loads)
    for line in report.failures(records):
        print(f"failed: {line}")
    print(f"results: {runner.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
