"""The lab's operations: up, down, faults (kill/stop/start by pid), waits and status.

Every wait is bounded; every process is started through procs.launch and recorded in the state
file at once; every stop goes by the recorded pid (and start time), never by process name.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from . import cluster, etcd, haproxy, netns, nodeconf, procs
from .layout import HOST, LAB_PASSWORD, LAB_ROLE, PG_BIN_DIR, REPO_ROOT, LabError, LabSpec
from .state import State

AGENT_STOP_TIMEOUT = 60.0  # Patroni stops PostgreSQL (fast mode) before it exits
POSTMASTER_STOP_TIMEOUT = 20.0
ETCD_HEALTH_TIMEOUT = 30.0
ETCD_STOP_TIMEOUT = 10.0
SOCKET_PATH_MAX = 107  # sun_path


def _say(out, text: str) -> None:
    if out:
        out(text)


# ---------------------------------------------------------------------------------- preflight

def _runs_as(user: str, test_args: list[str]) -> bool:
    """`test ARGS` evaluated as `user` (so permissions are the agent's, not ours)."""
    try:
        result = subprocess.run(["test", *test_args], env=procs.user_env(user), timeout=5,
                                **procs._drop_privileges(user))
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def port_free(port: int) -> bool:
    """Nothing listens on (or is bound to) 127.0.0.1:port. SO_REUSEADDR, as the servers set it,
    so connections in TIME_WAIT from a lab that just stopped do not count as busy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def _preflight(spec: LabSpec) -> None:
    try:
        pwd.getpwnam(spec.run_as)
    except KeyError:
        raise LabError(f"OS user {spec.run_as!r} does not exist (the agents run as it)")
    tools = [etcd.ETCD, etcd.ETCDCTL, f"{PG_BIN_DIR}/postgres", f"{PG_BIN_DIR}/psql"]
    tools += ["/usr/sbin/haproxy"] if spec.haproxy else []
    tools += [netns.IP, netns.IPTABLES, "/usr/bin/setpriv"] if spec.netns else []
    for tool in tools:
        if not os.access(tool, os.X_OK):
            raise LabError(f"{tool} is missing (./dev deps installs it)")
    if not os.access(spec.agent_bin, os.X_OK):
        hint = " (build it: ./dev build release)" if spec.agent == "pghalo" else ""
        raise LabError(f"agent binary {spec.agent_bin} is missing or not executable{hint}")
    if not _runs_as(spec.run_as, ["-x", spec.agent_bin]):
        raise LabError(f"{spec.run_as} cannot execute {spec.agent_bin}")
    longest = spec.socket_dir(spec.nodes) / f".s.PGSQL.{spec.pg_port(spec.nodes)}"
    if len(str(longest)) > SOCKET_PATH_MAX:
        raise LabError(f"lab dir path too long for a Unix socket ({longest}); use a shorter --dir")
    # In netns mode every server listens on an address the lab creates: nothing can hold them.
    busy = [] if spec.netns else [port for port in spec.all_ports() if not port_free(port)]
    if busy:
        raise LabError(f"port(s) {', '.join(map(str, busy))} on {HOST} are busy; "
                       "pick another --base-port")


def _prepare_dir(spec: LabSpec, out) -> None:
    root = spec.root
    if root.exists():
        try:
            old = State.load(root)
        except LabError:
            if any(root.iterdir()):
                raise LabError(f"{root} exists and is not a lab directory; pick another --dir")
            old = None
        if old is not None:
            if any(procs.alive(r) for r in old.procs.values()):
                raise LabError(f"a lab is already running in {root}; run `pglab down --dir {root}`")
            _say(out, f"removing the stale lab in {root} (nothing of it is running)")
            if old.spec.netns:
                netns.remove(old.spec.net_plan())
            _remove_dirs(old.spec)
    root.mkdir(parents=True, exist_ok=True)
    _chown_tree(root, spec.run_as)
    root.chmod(0o755)  # others may read logs; data dirs are 0700 (initdb)
    if not _runs_as(spec.run_as, ["-w", str(root)]):
        raise LabError(f"{spec.run_as} cannot write {root} (a parent directory blocks it?)")
    etcd_root = Path(spec.etcd_data_root)
    if etcd_root.exists() and etcd_root != root / "etcd":
        shutil.rmtree(etcd_root)  # named after this lab's base port: a crashed lab's leftover
    etcd_root.mkdir(parents=True, exist_ok=True, mode=0o700)


def _chown_tree(path: Path, user: str) -> None:
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(user)
    for p in [path, *path.rglob("*")]:
        os.chown(p, pw.pw_uid, pw.pw_gid, follow_symlinks=False)


def _remove_dirs(spec: LabSpec) -> None:
    shutil.rmtree(spec.root, ignore_errors=True)
    if spec.etcd_data_root:
        shutil.rmtree(spec.etcd_data_root, ignore_errors=True)


# ---------------------------------------------------------------------------------------- etcd

def _make_certs(spec: LabSpec) -> None:
    servers = [arg for i in spec.etcd_numbers()
               for arg in ("--server", f"etcd{i}={spec.etcd_host(i)}")]
    result = subprocess.run([str(REPO_ROOT / "lab" / "make-certs.sh"), str(spec.tls_dir), *servers,
                             "--client", "etcd-client"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise LabError(f"lab/make-certs.sh failed: {result.stderr.strip()}")
    # The agents (run_as) read the client key; the CA and member keys stay the invoking user's
    # (etcd runs as that user).
    for name in ("etcd-client.crt", "etcd-client.key"):
        _chown_tree(spec.tls_dir / name, spec.run_as)


def _start_etcd_member(state: State, i: int, cluster_state: str) -> None:
    spec = state.spec
    argv = etcd.member_argv(spec, i, cluster_state)
    user = pwd.getpwuid(os.geteuid()).pw_name
    rec = procs.launch(argv, spec.etcd_log(i), spec.root, user, env={"PATH": "/usr/bin:/bin"},
                       netns_prefix=_netns_prefix(spec, i, user))
    state.record(f"etcd{i}", rec)


def _wait_etcd_healthy(state: State, members, timeout: float) -> None:
    spec = state.spec
    deadline = time.monotonic() + timeout
    while True:
        for i in members:
            if not procs.alive(state.procs.get(f"etcd{i}")):
                raise LabError(f"etcd{i} exited during start", spec.etcd_log(i))
        health = etcd.healthy_endpoints(spec, members)
        if all(health.values()):
            return
        if time.monotonic() >= deadline:
            sick = [f"etcd{i}" for i, ok in health.items() if not ok]
            raise LabError(f"etcd not healthy after {timeout:.0f}s: {', '.join(sick)}",
                           spec.etcd_log(int(sick[0][4:])))
        time.sleep(0.3)


def stop_etcd(state: State, i: int, timeout: float = ETCD_STOP_TIMEOUT) -> bool:
    rec = state.procs.get(f"etcd{i}")
    return bool(rec and procs.stop_records([rec], signal.SIGTERM, timeout))


def start_etcd(state: State, i: int, timeout: float = ETCD_HEALTH_TIMEOUT) -> None:
    """Restarts member i on its old data dir (`--initial-cluster-state existing`)."""
    if procs.alive(state.procs.get(f"etcd{i}")):
        raise LabError(f"etcd{i} is already running")
    _start_etcd_member(state, i, "existing")
    _wait_etcd_healthy(state, [i], timeout)


# -------------------------------------------------------------------------------------- agents

def _netns_prefix(spec: LabSpec, n: int, user: str) -> list[str] | None:
    """Node n's namespace (netns mode), where its etcd member, agent and PostgreSQL run."""
    return netns.exec_prefix(spec.net_plan().namespace(n), user) if spec.netns else None


def _agent_argv(spec: LabSpec, n: int) -> list[str]:
    return [spec.agent_bin, str(spec.config_path(n))]


def start_agent(state: State, n: int) -> dict:
    spec = state.spec
    if procs.alive(state.procs.get(f"agent{n}")):
        raise LabError(f"the agent of {spec.node_name(n)} is already running")
    rec = procs.launch(_agent_argv(spec, n), spec.agent_log(n), spec.node_dir(n), spec.run_as,
                       netns_prefix=_netns_prefix(spec, n, spec.run_as))
    state.record(f"agent{n}", rec)
    time.sleep(0.3)  # a bad config or binary fails at once: report it here, not as a timeout
    if not procs.alive(rec):
        raise LabError(f"the agent of {spec.node_name(n)} exited at start", spec.agent_log(n))
    return rec


def stop_agent(state: State, n: int, timeout: float = AGENT_STOP_TIMEOUT) -> bool:
    """SIGTERM (the agent stops PostgreSQL and exits), SIGKILL after `timeout`."""
    rec = state.procs.get(f"agent{n}")
    return bool(rec and procs.stop_records([rec], signal.SIGTERM, timeout))


def kill_node(state: State, n: int, sig_name: str = "KILL", with_postgres: bool = False) -> dict:
    """Sends a signal to node n's agent and, with_postgres, to its postmaster and backends.

    Only the agent's pid is signalled (not its session), so a plain `kill` leaves PostgreSQL
    running whichever agent runs. For KILL/STOP/CONT with_postgres the postmaster's children
    are signalled too: together that is a crashed or frozen machine.
    Returns {"agent": pid or None, "postgres": [pids], "at": time.monotonic()}.
    """
    spec = state.spec
    sig = signal.Signals["SIG" + sig_name.upper().removeprefix("SIG")]
    rec = state.procs.get(f"agent{n}")
    done: dict = {"agent": None, "postgres": [], "at": time.monotonic()}
    pm = procs.postmaster_pid(spec.data_dir(n)) if with_postgres else None
    whole_tree = sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCONT)
    targets = ([pm] + (procs.children_of(pm) if whole_tree else [])) if pm else []
    if procs.alive(rec) and procs.send(rec["pid"], sig):
        done["agent"] = rec["pid"]
    done["postgres"] = [pid for pid in targets if procs.send(pid, sig)]
    if done["agent"] is None and not done["postgres"]:
        raise LabError(f"nothing of {spec.node_name(n)} is running to send {sig.name} to")
    return done


def wait_healthy(state: State, timeout: float) -> None:
    """Until one leader and every other node streaming from it; LabError on timeout or exit."""
    spec = state.spec
    deadline = time.monotonic() + timeout
    while True:
        for n in spec.node_numbers():
            if not procs.alive(state.procs.get(f"agent{n}")):
                raise LabError(f"the agent of {spec.node_name(n)} is not running", spec.agent_log(n))
        problems = cluster.health_problems(spec)
        if not problems:
            return
        if time.monotonic() >= deadline:
            raise LabError(f"cluster not healthy after {timeout:.0f}s: {'; '.join(problems)}")
        time.sleep(0.25)


def _wait_first_leader(state: State, deadline: float) -> None:
    spec = state.spec
    while True:
        if not procs.alive(state.procs.get("agent1")):
            raise LabError(f"the agent of {spec.node_name(1)} exited", spec.agent_log(1))
        views = cluster.observe(spec)
        if views[0].is_running_primary:
            return
        if time.monotonic() >= deadline:
            raise LabError(f"{spec.node_name(1)} did not bootstrap and lead in time "
                           f"(role {views[0].role}, state {views[0].state})", spec.agent_log(1))
        time.sleep(0.25)


# ------------------------------------------------------------------------------------------ psql

def psql_argv(spec: LabSpec, n: int, sql: str | None = None, flags=()) -> list[str]:
    """psql to node n as postgres over its socket directory (pg_hba: local trust)."""
    argv = [f"{PG_BIN_DIR}/psql", "-X", *flags, "-h", str(spec.socket_dir(n)),
            "-p", str(spec.pg_port(n)), "-U", "postgres", "-d", "postgres"]
    return argv + (["-v", "ON_ERROR_STOP=1", "-c", sql] if sql is not None else [])


def run_sql(spec: LabSpec, n: int, sql: str, timeout: float = 15.0) -> str:
    argv = psql_argv(spec, n, sql, flags=["-At"])
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                env={"PATH": "/usr/bin:/bin", "PGCONNECT_TIMEOUT": "3"})
    except subprocess.TimeoutExpired:
        raise LabError(f"psql on {spec.node_name(n)} timed out after {timeout:.0f}s")
    if result.returncode != 0:
        raise LabError(f"psql on {spec.node_name(n)} failed: {result.stderr.strip()}")
    return result.stdout


def _create_lab_role(spec: LabSpec, leader: int) -> None:
    run_sql(spec, leader, (
        "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{r}') THEN "
        "CREATE ROLE {r} LOGIN SUPERUSER PASSWORD '{p}'; END IF; END$$"
    ).format(r=LAB_ROLE, p=LAB_PASSWORD))


# ------------------------------------------------------------------------------------- up/down

def up(spec: LabSpec, wait_timeout: float = 120.0, out=print) -> State:
    """Starts the whole lab; on failure stops what it started (logs kept) and raises LabError."""
    _preflight(spec)
    _prepare_dir(spec, out)
    state = State(spec)
    state.save()
    try:
        if spec.netns:
            plan = spec.net_plan()
            _say(out, f"network namespaces {plan.namespace(1)}..{plan.namespace(plan.hosts)} on "
                      f"{plan.subnet} (observer {plan.observer_address} on {plan.host_interface})")
            netns.create(plan)
        _bring_up(state, wait_timeout, out)
    except BaseException as e:
        _say(out, f"lab up failed: {e}; stopping what was started (logs kept in {spec.root})")
        _stop_everything(state, out=None)
        raise
    return state


def _bring_up(state: State, wait_timeout: float, out) -> None:
    spec = state.spec
    if spec.tls:
        _say(out, f"certificates -> {spec.tls_dir}")
        _make_certs(spec)
    _say(out, f"etcd: 3 members, client ports {spec.etcd_client_port(1)}-{spec.etcd_client_port(3)}")
    for i in spec.etcd_numbers():
        _start_etcd_member(state, i, "new")
    _wait_etcd_healthy(state, spec.etcd_numbers(), ETCD_HEALTH_TIMEOUT)

    for n in spec.node_numbers():
        spec.node_dir(n).mkdir(exist_ok=True)
        spec.config_path(n).write_text(nodeconf.render_node_config(spec, n))
        spec.pgpass_path(n).write_text(nodeconf.render_pgpass())
        spec.pgpass_path(n).chmod(0o600)  # libpq ignores a pgpass file others can read
    spec.patronictl_config.write_text(nodeconf.render_patronictl_config(spec))
    for path in [*map(spec.node_dir, spec.node_numbers()), spec.patronictl_config]:
        _chown_tree(path, spec.run_as)  # the agent's; the CA and member keys stay ours

    deadline = time.monotonic() + wait_timeout
    if spec.bootstrap_race:
        _say(out, f"agents ({spec.agent}): all {spec.nodes} start at once, each may bootstrap")
        for n in spec.node_numbers():
            start_agent(state, n)
    else:
        _say(out, f"agents ({spec.agent}): {spec.node_name(1)} bootstraps first, as in the seed")
        start_agent(state, 1)
        _wait_first_leader(state, deadline)
        for n in list(spec.node_numbers())[1:]:
            start_agent(state, n)
    if spec.haproxy:
        _start_haproxy(state)
    _say(out, "waiting for one leader and streaming replicas")
    wait_healthy(state, max(1.0, deadline - time.monotonic()))
    leader = cluster.leader_name(spec)
    if leader is None:
        raise LabError("the leader changed right after the cluster became healthy")
    _create_lab_role(spec, spec.node_number(leader))


def _start_haproxy(state: State) -> None:
    spec = state.spec
    spec.haproxy_cfg.parent.mkdir(exist_ok=True)
    spec.haproxy_cfg.write_text(haproxy.render_config(spec))
    user = pwd.getpwuid(os.geteuid()).pw_name
    rec = procs.launch(["/usr/sbin/haproxy", "-f", str(spec.haproxy_cfg), "-db"], spec.haproxy_log,
                       spec.haproxy_cfg.parent, user, env={"PATH": "/usr/bin:/bin"})
    state.record("haproxy", rec)
    time.sleep(0.3)
    if not procs.alive(rec):
        raise LabError("haproxy exited at start", spec.haproxy_log)


def _stop_everything(state: State, out=print) -> None:
    spec = state.spec
    agents = [state.procs[f"agent{n}"] for n in spec.node_numbers() if f"agent{n}" in state.procs]
    for rec in procs.stop_records(agents, signal.SIGTERM, AGENT_STOP_TIMEOUT):
        _say(out, f"stopped agent pid {rec['pid']}")
    _stop_postmasters(spec, out)
    for role in ["haproxy", *[f"etcd{i}" for i in spec.etcd_numbers()]]:
        rec = state.procs.get(role)
        if rec and procs.stop_records([rec], signal.SIGTERM, ETCD_STOP_TIMEOUT):
            _say(out, f"stopped {role} pid {rec['pid']}")
    if spec.netns:
        _remove_namespaces(spec, out)


def _remove_namespaces(spec: LabSpec, out) -> None:
    """After the processes stopped: delete the namespaces (their links and cut rules go too).
    A process still inside one (none should be) is named, not killed: it is not ours by pid."""
    plan = spec.net_plan()
    for ns in plan.namespaces():
        for pid in netns.namespace_pids(ns) if ns in netns.existing_namespaces() else []:
            _say(out, f"warning: pid {pid} still runs in {ns}")
    for name in netns.remove(plan):
        _say(out, f"removed {name}")


def cleanup_leftovers(base_port: int, out=print) -> list[str]:
    """The namespaces and observer interface of the netns lab on `base_port` (pgh-<base>-sw|nN,
    pgh<base>), for a launcher that crashed before `down`. Processes still inside get SIGKILL
    first: only that lab puts processes in namespaces with its names. Other labs' names are left
    alone, whatever state they are in."""
    namespaces, interfaces = netns.leftovers()
    namespaces = [ns for ns in namespaces if netns.NS_PATTERN.match(ns).group(1) == str(base_port)]
    interfaces = [i for i in interfaces if i == f"pgh{base_port}"]
    removed = []
    for ns in namespaces:
        for pid in netns.namespace_pids(ns):
            _say(out, f"killing pid {pid} left in {ns}")
            procs.send(pid, signal.SIGKILL)
    for ns in namespaces:
        netns.delete_namespace(ns)
        removed.append(ns)
    for interface in interfaces:
        netns.delete_link(interface)
        removed.append(interface)
    for name in removed:
        _say(out, f"removed {name}")
    return removed


# ----------------------------------------------------------------------------------------- cuts

def _require_netns(state: State) -> netns.NetPlan:
    if not state.spec.netns:
        raise LabError("this lab runs on loopback: cuts need `up --netns`")
    return state.spec.net_plan()


def cut(state: State, node: int, target: str, one_way: str | None = None) -> netns.Cut:
    """Cuts node `node` from `target` (netns.TARGETS or node:M), both ways or `one_way`."""
    plan = _require_netns(state)
    spec = state.spec
    if node not in plan.numbers():
        raise LabError(f"no host {node} in this lab (1..{plan.hosts})")
    if one_way not in (None, "in", "out"):
        raise LabError(f"--one-way is in or out, not {one_way!r}")
    c = netns.Cut(node, netns.parse_target(target, plan.hosts), one_way)
    rules = netns.cut_rules(plan, c, [spec.etcd_client_port(i) for i in spec.etcd_numbers()],
                            [spec.etcd_peer_port(i) for i in spec.etcd_numbers()], spec.run_as)
    netns.apply_rules(plan, node, rules)
    return c


def heal(state: State, node: int | None = None) -> None:
    """Removes the cuts of `node`, or of every node."""
    netns.heal(_require_netns(state), node)


def active_cuts(state: State) -> dict[int, list[str]]:
    return netns.active_cuts(state.spec.net_plan()) if state.spec.netns else {}


def _stop_postmasters(spec: LabSpec, out) -> None:
    """Postmasters the agents left behind: fast shutdown (SIGINT), SIGKILL after a bound."""
    left = {}
    for n in spec.node_numbers():
        pm = procs.postmaster_pid(spec.data_dir(n))
        if pm:
            left[pm] = procs.children_of(pm)
            procs.send(pm, signal.SIGINT)
            _say(out, f"stopping the postmaster of {spec.node_name(n)} (pid {pm}) left running")
    if procs.wait_until_dead(lambda: [p for p in left if procs.pid_running(p)],
                             POSTMASTER_STOP_TIMEOUT):
        return
    for pm, kids in left.items():
        for pid in [pm, *kids, *procs.children_of(pm)]:
            procs.send(pid, signal.SIGKILL)
    procs.wait_until_dead(lambda: [p for p in left if procs.pid_running(p)], 5.0)


def down(lab_dir: Path, keep: bool = False, out=print) -> None:
    if not lab_dir.exists():
        _say(out, f"no lab in {lab_dir}")
        return
    state = State.load(lab_dir)
    _stop_everything(state, out)
    if keep:
        _say(out, f"kept {lab_dir}")
    else:
        _remove_dirs(state.spec)
        _say(out, f"removed {lab_dir}")


# --------------------------------------------------------------------------------------- status

def status(state: State) -> dict:
    spec = state.spec
    views = cluster.observe(spec)
    lags = {}
    leader = cluster.leader_name(spec, views)
    if leader:
        for m in cluster.cluster_members(spec, spec.node_number(leader)) or []:
            lags[m.get("name")] = m.get("lag")
    nodes = []
    for v in views:
        rec = state.procs.get(f"agent{v.number}")
        nodes.append({
            "name": v.name,
            "agent_pid": rec and rec["pid"],
            "agent_alive": procs.alive(rec),
            "postgres_pid": procs.postmaster_pid(spec.data_dir(v.number)),
            "rest_status": v.status,
            "role": v.role,
            "state": v.state,
            "timeline": (v.doc or {}).get("timeline"),
            "lag": lags.get(v.name),
            "pg_port": spec.pg_port(v.number),
            "rest_port": spec.rest_port(v.number),
        })
    try:
        etcd_leader, etcd_error = etcd.get_value(spec, spec.leader_key()), None
    except LabError as e:
        etcd_leader, etcd_error = None, e.what
    health = etcd.healthy_endpoints(spec)
    members = [{"name": f"etcd{i}", "pid": (state.procs.get(f"etcd{i}") or {}).get("pid"),
                "alive": procs.alive(state.procs.get(f"etcd{i}")), "healthy": health[i],
                "client_port": spec.etcd_client_port(i)} for i in spec.etcd_numbers()]
    result = {"dir": spec.dir, "agent": spec.agent, "base_port": spec.base_port,
              "profile": {"name": spec.profile, "ttl": spec.ttl, "loop_wait": spec.loop_wait,
                          "retry_timeout": spec.retry_timeout},
              "nodes": nodes, "leader_key": etcd_leader, "etcd_error": etcd_error,
              "etcd": members, "problems": cluster.health_problems(spec, views)}
    if spec.netns:
        plan = spec.net_plan()
        result["netns"] = {"subnet": str(plan.subnet), "observer": plan.observer_address,
                           "hosts": {spec.node_name(n) if n <= spec.nodes else f"etcd{n}":
                                     {"namespace": plan.namespace(n), "address": plan.address(n)}
                                     for n in plan.numbers()},
                           "cuts": {str(n): labels for n, labels in active_cuts(state).items()}}
    if spec.haproxy:
        rec = state.procs.get("haproxy")
        result["haproxy"] = {"pid": rec and rec["pid"], "alive": procs.alive(rec),
                             "servers": _haproxy_servers(spec)}
    return result


def _haproxy_servers(spec: LabSpec) -> dict:
    try:
        url = f"http://{spec.observer_host}:{spec.haproxy_stats_port}/;csv"
        with urllib.request.urlopen(url, timeout=2) as response:
            return haproxy.server_states(response.read().decode())
    except OSError:
        return {}
