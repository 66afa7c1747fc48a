#!/usr/bin/env python3
"""pglab: a real 3-node pghalo (or Patroni) cluster with 3 etcd members and HAProxy, on loopback.

  ./dev lab up [--agent pghalo|patroni] [--base-port N] [--profile seed|fast|pghalo|custom] ...
  ./dev lab status [--json]          ./dev lab down [--keep]
  ./dev lab kill NODE [--signal KILL|TERM|STOP|CONT] [--with-postgres]
  ./dev lab stop-agent NODE | start-agent NODE | stop-etcd N | start-etcd N
  ./dev lab leader | wait-healthy [--timeout S] | psql NODE [-c SQL] | env
  ./dev lab up --netns ...           each node in its own network namespace (198.18.0.0/15)
  ./dev lab cut --node N --from all|etcd|peers|host|node:M [--one-way in|out]
  ./dev lab heal [--node N]    ./dev lab cleanup --base-port B   (what a crashed one left)

Commands other than `up` find the lab by --dir, else --base-port (default dir
/tmp/pghalo-lab-<base port>), else $PGLAB_DIR, else base port 18000. See docs/lab.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labkit import cluster, etcd, netns, ops, procs  # noqa: E402
from labkit.layout import (LAB_PASSWORD, LAB_ROLE, PROFILES, LabError, LabSpec,  # noqa: E402
                           build_spec, default_dir)
from labkit.state import State  # noqa: E402

DEFAULT_BASE_PORT = 18000


# ----------------------------------------------------------------------------------- arguments

def _lab_dir(args) -> Path:
    if getattr(args, "dir", None):
        return Path(args.dir).resolve()
    if getattr(args, "base_port", None):
        return default_dir(args.base_port)
    if os.environ.get("PGLAB_DIR"):
        return Path(os.environ["PGLAB_DIR"])
    return default_dir(DEFAULT_BASE_PORT)


def spec_from_args(args) -> LabSpec:
    return build_spec(agent=args.agent, base_port=args.base_port, dir=args.dir, tls=args.tls,
                      profile=args.profile, ttl=args.ttl, loop_wait=args.loop_wait,
                      retry_timeout=args.retry_timeout, nodes=args.nodes, haproxy=args.haproxy,
                      build_dir=args.build_dir, agent_bin=args.agent_bin,
                      seed_memory=args.seed_memory, etcd_data=args.etcd_data, run_as=args.run_as,
                      bootstrap_race=args.bootstrap_race, netns=args.netns)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pglab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def lab_cmd(name: str, help_text: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text)
        c.add_argument("--dir", help="lab directory (default /tmp/pghalo-lab-<base port>)")
        c.add_argument("--base-port", type=int, help="find the lab by its base port")
        return c

    up = sub.add_parser("up", help="start etcd, the agents and HAProxy; wait until healthy")
    up.add_argument("--agent", choices=["pghalo", "patroni"], default="pghalo")
    up.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT)
    up.add_argument("--dir", help="lab directory (default /tmp/pghalo-lab-<base port>)")
    up.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True,
                    help="etcd with TLS and client-certificate auth, as the seed (default)")
    up.add_argument("--profile", choices=[*PROFILES, "custom"], default="seed",
                    help="DCS timing: seed 30/10/30, fast 10/2/4, pghalo %d/%d/%d (ttl/loop_wait/"
                         "retry_timeout)" % PROFILES["pghalo"])
    up.add_argument("--ttl", type=int)
    up.add_argument("--loop-wait", type=int)
    up.add_argument("--retry-timeout", type=int)
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--haproxy", action=argparse.BooleanOptionalAction, default=True)
    up.add_argument("--build-dir", help="where pghalo was built (default build/release, build/dev)")
    up.add_argument("--agent-bin", help="the agent binary, overriding --agent's default")
    up.add_argument("--bootstrap-race", action="store_true",
                    help="give every node the bootstrap section and start all agents at once")
    up.add_argument("--seed-memory", action="store_true",
                    help="keep the seed's memory settings (shared_buffers 4GB, ...)")
    up.add_argument("--etcd-data", choices=["tmpfs", "lab"], default="tmpfs",
                    help="etcd data dirs on /dev/shm (default) or inside the lab dir")
    up.add_argument("--run-as", help="OS user for the agents (default postgres when root)")
    up.add_argument("--wait-timeout", type=float, default=120.0)
    up.add_argument("--netns", action="store_true",
                    help="each node (etcd member, PostgreSQL, agent) in its own network namespace "
                         "with its own 198.18.x.y address, so `cut` can sever links (root only)")

    down = lab_cmd("down", "stop everything the lab started and remove its directory")
    down.add_argument("--keep", action="store_true", help="keep the lab directory (logs, data)")
    st = lab_cmd("status", "agents, PostgreSQL, roles, lag, etcd and HAProxy")
    st.add_argument("--json", action="store_true")
    kill = lab_cmd("kill", "send a signal to a node's agent (and PostgreSQL)")
    kill.add_argument("node")
    kill.add_argument("--signal", default="KILL", choices=["KILL", "TERM", "STOP", "CONT", "HUP"])
    kill.add_argument("--with-postgres", action="store_true",
                      help="also the postmaster (from postmaster.pid) and its backends")
    for name, help_text in (("stop-agent", "SIGTERM a node's agent and wait for it to exit"),
                            ("start-agent", "start a node's agent again")):
        c = lab_cmd(name, help_text)
        c.add_argument("node")
        c.add_argument("--timeout", type=float, default=ops.AGENT_STOP_TIMEOUT)
    for name, help_text, timeout in (
            ("stop-etcd", "stop etcd member N (1..3)", ops.ETCD_STOP_TIMEOUT),
            ("start-etcd", "restart etcd member N on its old data dir", ops.ETCD_HEALTH_TIMEOUT)):
        c = lab_cmd(name, help_text)
        c.add_argument("member", type=int, choices=[1, 2, 3])
        c.add_argument("--timeout", type=float, default=timeout)
    lab_cmd("leader", "print the leader's name (etcd leader key; REST if etcd is down)")
    wh = lab_cmd("wait-healthy", "wait for one leader and all replicas streaming")
    wh.add_argument("--timeout", type=float, default=120.0)
    ps = lab_cmd("psql", "psql to a node as postgres over its socket")
    ps.add_argument("node")
    ps.add_argument("-c", dest="sql")
    lab_cmd("env", "shell exports for this lab (eval \"$(./dev lab env)\")")
    cut = lab_cmd("cut", "cut a node's links (netns labs): iptables rules in its namespace")
    cut.add_argument("--node", required=True, help="the node to cut (N, nodeN, ...)")
    cut.add_argument("--from", dest="target", required=True,
                     help="all (the other nodes), etcd (its agent from every etcd member), peers "
                          "(PostgreSQL and REST of the others; etcd stays), host (the observer), "
                          "node:M")
    cut.add_argument("--one-way", choices=["in", "out"],
                     help="drop only what the node receives (in) or sends (out)")
    heal = lab_cmd("heal", "remove the cuts of one node (--node) or of all")
    heal.add_argument("--node")
    cleanup = sub.add_parser("cleanup", help="remove the namespaces and interface a crashed "
                                             "netns lab left (pgh-<base>-*), killing what still "
                                             "runs inside; only that base port's")
    cleanup.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT)
    return p


# ------------------------------------------------------------------------------------ commands

def cmd_up(args) -> int:
    spec = spec_from_args(args)
    print(f"pglab: lab in {spec.dir}, agent {spec.agent} ({spec.agent_bin})")
    ops.up(spec, args.wait_timeout, out=lambda line: print(f"pglab: {line}"))
    print(summary(spec))
    return 0


def _down_hint(spec: LabSpec) -> str:
    if Path(spec.dir) == default_dir(spec.base_port):
        return f"./dev lab down --base-port {spec.base_port}"
    return f"./dev lab down --dir {shlex.quote(spec.dir)}"


def summary(spec: LabSpec) -> str:
    views = {v.name: v for v in cluster.observe(spec)}
    rules = spec.loop_wait + 2 * spec.retry_timeout <= spec.ttl
    lines = [
        "",
        f"pghalo lab is up: agent {spec.agent}, profile {spec.profile} (ttl {spec.ttl}, "
        f"loop_wait {spec.loop_wait}, retry_timeout {spec.retry_timeout}"
        + ("" if rules else "; breaks loop_wait + 2*retry_timeout <= ttl, kept as written") + ")",
        f"lab dir: {spec.dir}",
        "",
        f"{'node':<18} {'role':<8} {'PostgreSQL':<16} {'REST API':<30} agent log",
    ]
    for n in spec.node_numbers():
        name = spec.node_name(n)
        host = spec.node_host(n)
        lines.append(f"{name:<18} {views[name].role or '?':<8} {host}:{spec.pg_port(n):<6} "
                     f"http://{host}:{spec.rest_port(n)}/patroni  {spec.agent_log(n)}")
    lines += ["", f"etcd:    {','.join(spec.etcd_endpoints())}"]
    if spec.tls:
        lines.append(f"         TLS files in {spec.tls_dir}: ca.crt, etcd-client.crt/.key")
    if spec.haproxy:
        obs = spec.observer_host
        lines.append(f"HAProxy: write {obs}:{spec.haproxy_write_port}, read "
                     f"{obs}:{spec.haproxy_read_port}, stats "
                     f"http://{obs}:{spec.haproxy_stats_port}/")
    lines += ["", "Try:"]
    lines.append(f"  psql -h {spec.socket_dir(1)} -p {spec.pg_port(1)} -U postgres"
                 "     # node 1 over its socket")
    if spec.haproxy:
        lines.append(f"  psql 'postgresql://{LAB_ROLE}:{LAB_PASSWORD}@{spec.observer_host}:"
                     f"{spec.haproxy_write_port}/postgres'   # the primary, through HAProxy")
        lines.append(f"  psql 'postgresql://{LAB_ROLE}:{LAB_PASSWORD}@{spec.observer_host}:"
                     f"{spec.haproxy_read_port}/postgres'   # a replica, through HAProxy")
    lines.append(f"  curl -s http://{spec.node_host(1)}:{spec.rest_port(1)}/cluster | jq .")
    lines.append(f"  patronictl -c {spec.patronictl_config} list")
    find = _down_hint(spec).removeprefix("./dev lab down ")
    lines.append(f"  eval \"$(./dev lab env {find})\"   # ETCDCTL_* and PGLAB_* for this lab")
    lines += ["", f"Stop it: {_down_hint(spec)}"]
    return "\n".join(lines)


def cmd_down(args) -> int:
    ops.down(_lab_dir(args), keep=args.keep, out=lambda line: print(f"pglab: {line}"))
    return 0


def cmd_status(args) -> int:
    state = State.load(_lab_dir(args))
    report = ops.status(state)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    p = report["profile"]
    print(f"lab {report['dir']}: agent {report['agent']}, profile {p['name']} (ttl {p['ttl']}, "
          f"loop_wait {p['loop_wait']}, retry_timeout {p['retry_timeout']})")
    print(f"{'node':<18} {'agent':<13} {'postgres':<13} {'role':<8} {'state':<12} {'TL':<3} lag")
    for n in report["nodes"]:
        agent = f"{n['agent_pid']} up" if n["agent_alive"] else "down"
        pg = f"{n['postgres_pid']} up" if n["postgres_pid"] else "down"
        lag = "" if n["lag"] is None else str(n["lag"])
        print(f"{n['name']:<18} {agent:<13} {pg:<13} {n['role'] or '-':<8} "
              f"{n['state'] or '-':<12} {n['timeline'] or '-'!s:<3} {lag}")
    print(f"leader key (etcd): {report['leader_key'] or report['etcd_error'] or 'none'}")
    print("etcd: " + ", ".join(
        f"{m['name']} " + ((f"pid {m['pid']} " + ("healthy" if m["healthy"] else "UNHEALTHY"))
                           if m["alive"] else "not running") for m in report["etcd"]))
    if "haproxy" in report:
        h = report["haproxy"]
        servers = "; ".join(f"{proxy}: " + ", ".join(f"{s} {st}" for s, st in states.items())
                            for proxy, states in h["servers"].items())
        print(f"haproxy: pid {h['pid']} up; {servers}" if h["alive"] else "haproxy: not running")
    if "netns" in report:
        net = report["netns"]
        print(f"netns: {net['subnet']}, observer {net['observer']}; " + ", ".join(
            f"{name} {h['address']} ({h['namespace']})" for name, h in net["hosts"].items()))
        print("cuts: " + ("; ".join(f"node{n}: {', '.join(labels)}"
                                   for n, labels in net["cuts"].items()) or "none"))
    problems = report["problems"]
    print("healthy: yes" if not problems else "healthy: no: " + "; ".join(problems))
    return 0


def cmd_kill(args) -> int:
    state = State.load(_lab_dir(args))
    n = state.spec.node_number(args.node)
    done = ops.kill_node(state, n, args.signal, args.with_postgres)
    print(f"sent SIG{args.signal} to {state.spec.node_name(n)}: agent pid {done['agent']}, "
          f"postgres pids {done['postgres']}")
    return 0


def cmd_stop_agent(args) -> int:
    state = State.load(_lab_dir(args))
    n = state.spec.node_number(args.node)
    stopped = ops.stop_agent(state, n, args.timeout)
    print(f"{state.spec.node_name(n)}: agent {'stopped' if stopped else 'was not running'}")
    return 0


def cmd_start_agent(args) -> int:
    state = State.load(_lab_dir(args))
    n = state.spec.node_number(args.node)
    rec = ops.start_agent(state, n)
    print(f"{state.spec.node_name(n)}: agent started, pid {rec['pid']}")
    return 0


def cmd_stop_etcd(args) -> int:
    state = State.load(_lab_dir(args))
    stopped = ops.stop_etcd(state, args.member, args.timeout)
    print(f"etcd{args.member}: {'stopped' if stopped else 'was not running'}")
    return 0


def cmd_start_etcd(args) -> int:
    state = State.load(_lab_dir(args))
    ops.start_etcd(state, args.member, args.timeout)
    print(f"etcd{args.member}: running and healthy")
    return 0


def _host_number(state: State, text: str) -> int:
    digits = str(text).removeprefix("postgresql-").removeprefix("node")
    if digits.isdigit() and int(digits) in state.spec.net_plan().numbers():
        return int(digits)
    return state.spec.node_number(text)  # raises ValueError naming the range


def cmd_cut(args) -> int:
    state = State.load(_lab_dir(args))
    c = ops.cut(state, _host_number(state, args.node), args.target, args.one_way)
    print(f"cut {c.label()}")
    return 0


def cmd_heal(args) -> int:
    state = State.load(_lab_dir(args))
    node = _host_number(state, args.node) if args.node else None
    ops.heal(state, node)
    print(f"healed {'node' + str(node) if node else 'every node'}")
    return 0


def cmd_cleanup(args) -> int:
    removed = ops.cleanup_leftovers(args.base_port, out=lambda line: print(f"pglab: {line}"))
    print(f"cleanup: removed {len(removed)} namespace(s)/interface(s)")
    return 0


def cmd_leader(args) -> int:
    spec = State.load(_lab_dir(args)).spec
    try:
        name = etcd.get_value(spec, spec.leader_key())
    except LabError as e:
        print(f"pglab: {e.what}; asking the REST APIs", file=sys.stderr)
        name = cluster.leader_name(spec)
    if not name:
        print("pglab: no leader", file=sys.stderr)
        return 1
    print(name)
    return 0


def cmd_wait_healthy(args) -> int:
    state = State.load(_lab_dir(args))
    ops.wait_healthy(state, args.timeout)
    print(f"healthy: leader {cluster.leader_name(state.spec)}")
    return 0


def cmd_psql(args) -> int:
    spec = State.load(_lab_dir(args)).spec
    argv = ops.psql_argv(spec, spec.node_number(args.node), args.sql)
    os.execv(argv[0], argv)


def cmd_env(args) -> int:
    spec = State.load(_lab_dir(args)).spec
    nodes = spec.node_numbers()
    exports = {
        "PGLAB_DIR": spec.dir,
        "PGLAB_BASE_PORT": spec.base_port,
        "PGLAB_AGENT": spec.agent,
        "PGLAB_NODES": " ".join(spec.node_name(n) for n in nodes),
        "PGLAB_HOSTS": " ".join(spec.node_host(n) for n in nodes),
        "PGLAB_PG_PORTS": " ".join(str(spec.pg_port(n)) for n in nodes),
        "PGLAB_REST_PORTS": " ".join(str(spec.rest_port(n)) for n in nodes),
        "PGLAB_SOCKET_DIRS": " ".join(str(spec.socket_dir(n)) for n in nodes),
        "ETCDCTL_API": 3,
        "ETCDCTL_ENDPOINTS": ",".join(spec.etcd_endpoints()),
        "PATRONICTL_CONFIG_FILE": spec.patronictl_config,
    }
    if spec.haproxy:
        exports.update(PGLAB_HAPROXY_WRITE_PORT=spec.haproxy_write_port,
                       PGLAB_HAPROXY_READ_PORT=spec.haproxy_read_port,
                       PGLAB_HAPROXY_STATS_PORT=spec.haproxy_stats_port)
    if spec.tls:
        exports.update(ETCDCTL_CACERT=spec.tls_file("ca.crt"),
                       ETCDCTL_CERT=spec.tls_file("etcd-client.crt"),
                       ETCDCTL_KEY=spec.tls_file("etcd-client.key"))
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(str(value))}")
    return 0


COMMANDS = {
    "up": cmd_up, "down": cmd_down, "status": cmd_status, "kill": cmd_kill,
    "stop-agent": cmd_stop_agent, "start-agent": cmd_start_agent, "stop-etcd": cmd_stop_etcd,
    "start-etcd": cmd_start_etcd, "leader": cmd_leader, "wait-healthy": cmd_wait_healthy,
    "psql": cmd_psql, "env": cmd_env, "cut": cmd_cut, "heal": cmd_heal, "cleanup": cmd_cleanup,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.cmd](args)
    except LabError as e:
        print(f"pglab: error: {e.what}", file=sys.stderr)
        if e.log:
            print(f"--- last lines of {e.log} ---\n{procs.log_tail(e.log)}\n---", file=sys.stderr)
        return 1
    except ValueError as e:  # a bad node name
        print(f"pglab: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
