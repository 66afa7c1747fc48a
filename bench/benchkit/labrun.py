"""A lab for one benchmark round, with its bootstrap timed (measurement 5).

The lab's own `up` (labkit.ops.up) also makes certificates, starts etcd and creates the `lab`
role; none of that is the agent's work. BenchLab.up() runs the same steps through labkit but
stamps the part that is: from starting node 1's agent on an empty data directory until one
leader serves two streaming replicas. Node 1 starts first and the others as soon as it holds the
leader key, as the seed starts them and the lab does; starting all three at once would let a node
without the bootstrap section win the initialize race, under Patroni as under pghalo.

Both ends are read from the servers, not from the agents: the leader key through etcd's gateway,
and `pg_stat_replication` on the leader. The REST view the lab's `wait_healthy` uses is stamped
too, as `bootstrap_rest_s`.
"""

from __future__ import annotations

import time

from harness.lab import Lab
from labkit import cluster, nodeconf, ops
from labkit.layout import LabError
from labkit.state import State

from .gateway import Gateway

POLL = 0.05

STREAMING_SQL = ("SELECT application_name FROM pg_stat_replication "
                 "WHERE state = 'streaming' AND NOT pg_is_in_recovery()")


class BenchLab(Lab):
    """harness.Lab whose up() measures the bootstrap; see the module docstring."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bootstrap: dict = {}
        self.gateway: Gateway | None = None

    def up(self) -> "BenchLab":
        spec = self.spec
        ops._preflight(spec)
        ops._prepare_dir(spec, None)
        self.state = State(spec)
        self.state.save()
        try:
            self._bring_up()
        except BaseException:
            ops._stop_everything(self.state, out=None)
            raise
        return self

    def _bring_up(self) -> None:
        spec, state = self.spec, self.state
        if spec.tls:
            ops._make_certs(spec)
        for i in spec.etcd_numbers():
            ops._start_etcd_member(state, i, "new")
        ops._wait_etcd_healthy(state, spec.etcd_numbers(), ops.ETCD_HEALTH_TIMEOUT)
        self.gateway = Gateway(spec)
        for n in spec.node_numbers():
            spec.node_dir(n).mkdir(exist_ok=True)
            spec.config_path(n).write_text(nodeconf.render_node_config(spec, n))
            spec.pgpass_path(n).write_text(nodeconf.render_pgpass())
            spec.pgpass_path(n).chmod(0o600)
        spec.patronictl_config.write_text(nodeconf.render_patronictl_config(spec))
        for path in [*map(spec.node_dir, spec.node_numbers()), spec.patronictl_config]:
            ops._chown_tree(path, spec.run_as)
        if spec.haproxy:
            ops._start_haproxy(state)

        deadline = time.monotonic() + self.wait_timeout
        started = time.monotonic()
        ops.start_agent(state, 1)
        first = spec.node_name(1)
        self._poll(lambda: self.gateway.leader()[0] == first, deadline, f"{first} to take the lock")
        leader_at = time.monotonic()
        for n in list(spec.node_numbers())[1:]:
            ops.start_agent(state, n)
        others = {spec.node_name(n) for n in list(spec.node_numbers())[1:]}
        self._poll(lambda: others <= self._streaming(1), deadline, "two streaming replicas")
        streaming_at = time.monotonic()
        ops.wait_healthy(state, max(1.0, deadline - time.monotonic()))
        healthy_at = time.monotonic()
        self.bootstrap = {"bootstrap_s": streaming_at - started,
                          "bootstrap_leader_s": leader_at - started,
                          "bootstrap_rest_s": healthy_at - started}
        leader = cluster.leader_name(spec)
        if leader is None:
            raise LabError("the leader changed right after the cluster became healthy")
        ops._create_lab_role(spec, spec.node_number(leader))

    def _poll(self, predicate, deadline: float, what: str) -> None:
        while True:
            for n in self.spec.node_numbers():
                rec = self.state.procs.get(f"agent{n}")
                if rec and not ops.procs.alive(rec):
                    raise LabError(f"the agent of {self.spec.node_name(n)} exited",
                                   self.spec.agent_log(n))
            try:
                if predicate():
                    return
            except (OSError, LabError, TimeoutError):
                pass
            except Exception as e:  # psycopg2 errors while the server starts
                if "psycopg2" not in type(e).__module__:
                    raise
            if time.monotonic() >= deadline:
                raise LabError(f"timed out waiting for {what}")
            time.sleep(POLL)

    def _streaming(self, node) -> set[str]:
        return {row[0] for row in self.sql(node, STREAMING_SQL, timeout=2.0)}

    def streaming_from(self, leader) -> set[str]:
        """Names streaming from `leader` per its pg_stat_replication (empty if it cannot answer)."""
        try:
            return self._streaming(leader)
        except Exception:  # noqa: BLE001 - any failure to ask means "not streaming yet"
            return set()

    def agent_pids(self) -> dict[str, int]:
        """Node name -> the agent's pid, for the nodes whose agent runs."""
        pids = {}
        for n in self.spec.node_numbers():
            rec = self.state.procs.get(f"agent{n}")
            if ops.procs.alive(rec):
                pids[self.spec.node_name(n)] = rec["pid"]
        return pids
