"""A migration in progress: one Patroni 3.0.2 node and two pghalo nodes in one cluster, on the
same YAML files, behind HAProxy.

The lab starts as three Patroni nodes; nodes 2 and 3 then move to pghalo one at a time (stop
Patroni, start pghalo on the same YAML and data directory), as an operator migrates. Then: the
member keys compared; SIGKILL of a Patroni primary and of a pghalo primary with HAProxy's write
and read ports probed; switchovers to the other kind and back under a write probe; the REST
answers of a Patroni and a pghalo replica side by side (healthy and paused). Throughout: one
leader at a time, no acknowledged row lost in a switchover and none but the killed primary's
last ones in a SIGKILL, every node streaming at the end.

One lab for the module (about 5 minutes).

  cd tests/integration && PGHALO_BUILD_DIR=../../build/dev \
      python3 -m unittest -v compat.test_mixed_cluster"""

from __future__ import annotations

import unittest

from harness.failover import kill_primary
from harness.lab import wait_until
from harness.probe import WriteProbe

from . import fixtures
from .compatkit import CompatLab, LabTest, PortProbe, tools_missing

LAB: CompatLab | None = None
PATRONI_NODE = "postgresql-node1"
# HAProxy checks every 3 s and needs 2 good answers to mark a server up (labkit/haproxy.py).
HAPROXY_RISE_S = 2 * 3.0
# Paths whose answers a replica gives; compared between the two agents.
HEALTH_PATHS = ("/", "/patroni", "/primary", "/replica", "/leader", "/health", "/read-only",
                "/master", "/read-write", "/standby-leader", "/asynchronous", "/synchronous",
                "/liveness", "/readiness", "/replica?lag=1MB", "/replica?tag_zone=a")


def setUpModule():
    global LAB
    if tools_missing():
        raise unittest.SkipTest(tools_missing())
    LAB = CompatLab(("patroni", "pghalo", "pghalo"))
    LAB.__enter__()


def tearDownModule():
    if LAB is not None:
        LAB.finish(LabTest.any_failed)


class MixedClusterTest(LabTest):

    def switchover(self, candidate: str) -> None:
        leader = LAB.leader()
        done = LAB.patronictl("switchover", "--leader", leader, "--candidate", candidate,
                              "--force")
        self.assertIn(f'Successfully switched over to "{candidate}"', done.stdout,
                      f"{LAB.kind(leader)} -> {LAB.kind(candidate)}: {done.stdout}{done.stderr}")
        LAB.wait_leader_is(candidate)
        LAB.wait_all_streaming(60)

    def assert_clean(self, probe: WriteProbe, leader: str, lossless: bool = True) -> None:
        report = probe.report(read_back_leader=leader)
        print(report.summary())
        self.assertFalse(report.split_brain, report.summary())
        self.assertEqual(report.unreadable, [], report.summary())
        if lossless:
            self.assertEqual(report.missing, [], report.summary())
            self.assertEqual(set(report.missing_by_node.values()), {0}, report.summary())

    def compare_answers(self, patroni_node: str, pghalo_node: str, label: str) -> None:
        problems = []
        for path in HEALTH_PATHS:
            for method in ("GET", "OPTIONS"):
                theirs = LAB.http(patroni_node, method, path)
                ours = LAB.http(pghalo_node, method, path)
                where = f"{label}: {method} {path}"
                if ours.status != theirs.status:
                    problems.append(f"{where}: pghalo {ours.status}, Patroni {theirs.status}")
                elif method == "GET" and theirs.headers.get("content-type") == "application/json":
                    problems += fixtures.shape_differences(ours.json(), theirs.json(), where)
        for path in ("/patroni",):
            theirs, ours = LAB.patroni_doc(patroni_node), LAB.patroni_doc(pghalo_node)
            for field in ("state", "role", "pause"):
                if ours.get(field) != theirs.get(field):
                    problems.append(f"{label}: {path} {field} pghalo {ours.get(field)!r}, "
                                    f"Patroni {theirs.get(field)!r}")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_01_the_agents_publish_the_same_member_keys(self):
        LAB.wait_all_streaming()
        self.assertEqual(LAB.leader(), PATRONI_NODE)
        patroni = LAB.etcd_json(f"members/{PATRONI_NODE}")
        for node in ("postgresql-node2", "postgresql-node3"):
            self.assertEqual(LAB.kind(node), "pghalo")
            ours = LAB.etcd_json(f"members/{node}")
            self.assertEqual(fixtures.shape_differences(ours, patroni, node), [])
            self.assertEqual((ours["role"], ours["state"], ours["version"]),
                             ("replica", "running", "3.0.2"))
        self.assertEqual(patroni["role"], "master")
        rows = LAB.list_members()
        self.assertEqual(rows[PATRONI_NODE]["Role"], "Leader")

    def kill_the_primary_behind_haproxy(self, kind: str) -> None:
        LAB.wait_all_streaming()
        leader = LAB.leader()
        self.assertEqual(LAB.kind(leader), kind)
        host = LAB.spec.observer_host
        with PortProbe(host, LAB.spec.haproxy_write_port) as writes, \
                PortProbe(host, LAB.spec.haproxy_read_port) as reads:
            wait_until(lambda: writes.first_success(0, True) and reads.first_success(0, False),
                       20, "HAProxy routing to the primary and a replica")
            result = kill_primary(LAB, rejoin=True)
            # HAProxy routes to the new primary only after its rise checks; the old one may
            # rejoin sooner than that, so keep probing until the write port answers (bounded).
            elected_at = (result.report.started + result.report.marks["kill"]
                          + result.kill_to_new_leader_s)
            wait_until(lambda: writes.first_success(elected_at, True), HAPROXY_RISE_S + 10,
                       "HAProxy's write port to reach the new primary")
        report = result.report
        print(f"{kind} primary {leader} killed; new leader {result.new_leader} "
              f"({LAB.kind(result.new_leader)}) after {result.kill_to_new_leader_s:.1f}s\n"
              + report.summary())
        self.assertFalse(report.split_brain, report.summary())
        # Asynchronous replication: a SIGKILL may lose what the old primary acknowledged in
        # its last moment; nothing else may go missing.
        self.assertTrue(all(f":{leader}:" in key for key in report.missing), report.missing)
        self.assertLess(len(report.missing), 50, report.summary())
        LAB.wait_all_streaming(60)

        kill_at = report.started + report.marks["kill"]
        write_gap = writes.longest_gap(kill_at, want_primary=True)
        read_gap = reads.longest_gap(kill_at)
        print(f"HAProxy: write port down {write_gap:.1f}s, longest read gap {read_gap:.1f}s")
        self.assertIsNotNone(writes.first_success(kill_at + result.kill_to_new_leader_s, True))
        self.assertLessEqual(write_gap, result.kill_to_new_leader_s + HAPROXY_RISE_S + 2.0)
        self.assertLess(read_gap, 3.0, "reads stopped flowing on the read port")

    def test_02_kill_the_patroni_primary(self):
        LAB.wait_leader_is(PATRONI_NODE)
        self.kill_the_primary_behind_haproxy("patroni")
        self.assertEqual(LAB.kind(LAB.leader()), "pghalo")

    def test_03_kill_the_pghalo_primary(self):
        self.kill_the_primary_behind_haproxy("pghalo")
        self.assertEqual(LAB.streaming_replicas(), set(LAB.nodes) - {LAB.leader()})


    def other_kind(self, node: str) -> str:
        return "pghalo" if LAB.kind(node) == "patroni" else "patroni"

    def candidate_of_kind(self, kind: str) -> str:
        leader = LAB.leader()
        return sorted(n for n in LAB.nodes if n != leader and LAB.kind(n) == kind)[0]

    def test_04_switchover_to_the_other_kind_and_back(self):
        LAB.wait_all_streaming()
        first = LAB.leader()
        probe = WriteProbe.for_lab(LAB)
        probe.create_table(first)
        with probe:
            wait_until(lambda: probe.acked_on(first) >= 5, 10, "writes on the leader")
            there = self.candidate_of_kind(self.other_kind(first))
            self.switchover(there)
            back = self.candidate_of_kind(LAB.kind(first))
            self.switchover(back)
            wait_until(lambda: probe.acked_on(back) >= 5, 20, f"writes on {back}")
        self.assert_clean(probe, back)
        history = LAB.etcd_json("history")
        self.assertEqual([line[4] for line in history[-2:]], [there, back])

    def test_05_a_patroni_and_a_pghalo_replica_answer_alike(self):
        LAB.wait_all_streaming()
        if LAB.kind(LAB.leader()) == "patroni":
            self.switchover(self.candidate_of_kind("pghalo"))
        pghalo_replica = self.candidate_of_kind("pghalo")
        self.compare_answers(PATRONI_NODE, pghalo_replica, "healthy replicas")
        self.assertEqual(LAB.patronictl("pause", "--wait").returncode, 0)
        try:
            self.compare_answers(PATRONI_NODE, pghalo_replica, "paused replicas")
            # Not compared here: a stopped PostgreSQL. Patroni 3.0.2 starts it again even while
            # paused on a member it demoted earlier (ha.py treats it as a demoted primary still
            # to be started), so the two answers would differ for a reason that is not pghalo's;
            # test_pghalo_cluster checks pghalo's answers for that case against Patroni's rules.
        finally:
            self.assertEqual(LAB.patronictl("resume", "--wait").returncode, 0)
        LAB.wait_all_streaming(60)


if __name__ == "__main__":
    unittest.main()
