"""The seed guide's failure tests (Step 5) against a real pghalo cluster: 3 etcd members with
mutual TLS, 3 PostgreSQL 15 servers, 3 pghalo agents running as `postgres`, with the seed's own
timing (ttl 30, loop_wait 10, retry_timeout 30, which pghalo runs as 10: see
docs/configuration.md).

  Test 1  primary node failure: SIGKILL of the primary's agent and PostgreSQL
  Test 2  standby node failure: the standby's agent stopped
  Test 5  complete failover and recovery: the primary's agent stopped (SIGTERM), then restarted

Each failover prints the write gap measured by a client writing to every node every 20 ms.
Asynchronous replication may lose what the killed primary acknowledged in its last
milliseconds: the probe reports such rows, the test asserts on rows committed before the kill.

  cd tests/integration && python3 -m unittest -v seed.test_seed_scenarios
"""

from __future__ import annotations

import time
import unittest

from harness import pg
from harness.failover import kill_primary
from harness.lab import Lab, wait_until
from harness.probe import WriteProbe

CREATE = "CREATE TABLE IF NOT EXISTS failover_test (id SERIAL PRIMARY KEY, data TEXT)"
INSERT = "INSERT INTO failover_test (data) VALUES (%s)"


@unittest.skipIf(pg.psycopg2 is None, "psycopg2 is not importable (python3-psycopg2)")
class SeedFailureTests(unittest.TestCase):
    lab: Lab

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(agent="pghalo", profile="seed", wait_timeout=180.0)
        cls.lab.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.lab.__exit__(None, None, None)

    def tearDown(self):
        # Every test leaves one leader and two streaming replicas for the next.
        for node in self.lab.nodes:
            if not self.lab.agent_alive(node):
                self.lab.start_agent(node)
        self.lab.wait_healthy(180.0)

    def _count(self, node: str, data: str) -> int:
        return self.lab.sql(node, "SELECT count(*) FROM failover_test WHERE data = %s", (data,))[0][0]

    def test_1_primary_node_failure(self):
        lab = self.lab
        old = lab.leader()
        lab.sql(old, CREATE)
        for i in range(20):
            lab.sql(old, INSERT, (f"before kill {i}",))
        time.sleep(0.5)
        result = kill_primary(lab, timeout=120.0, rejoin=True, out=print)
        print(result.report.summary())
        print(f"Test 1 write gap: {result.report.gap_s:.2f} s "
              f"(new leader {result.new_leader} {result.kill_to_new_leader_s:.1f} s after the kill)")
        new = result.new_leader
        self.assertNotEqual(new, old)
        self.assertFalse(result.report.split_brain, result.report.summary())
        # The seed's own check on the new primary.
        lab.sql(new, CREATE)
        lab.sql(new, INSERT, ("Failover test successful",))
        self.assertEqual(self._count(new, "Failover test successful"), 1)
        for i in range(20):
            self.assertEqual(self._count(new, f"before kill {i}"), 1, f"row {i} committed before the kill")
        # The killed node came back as a replica of the new leader, with the new rows.
        self.assertEqual(lab.leader(), new)
        self.assertIn(old, lab.streaming_replicas())
        wait_until(lambda: self._count(old, "Failover test successful") == 1, 30.0,
                   f"{old} to replay the row written after the failover")

    def test_2_standby_node_failure(self):
        lab = self.lab
        leader = lab.leader()
        lab.sql(leader, CREATE)
        standby = sorted(set(lab.nodes) - {leader})[0]
        self.assertTrue(lab.stop_agent(standby))
        lab.sql(leader, INSERT, ("Standby failure test",))
        count = lab.sql(leader, "SELECT COUNT(*) FROM failover_test")[0][0]
        self.assertGreaterEqual(count, 1)
        time.sleep(12)  # a full loop_wait: nothing must change on the primary
        self.assertEqual(lab.leader(), leader)
        self.assertEqual(lab.rest(leader, "/primary")[0], 200)
        lab.sql(leader, INSERT, ("Standby failure test, later",))
        lab.start_agent(standby)
        lab.wait_healthy(120.0)
        wait_until(lambda: self._count(standby, "Standby failure test, later") == 1, 30.0,
                   f"{standby} to catch up after its restart")

    def test_5_complete_failover_and_recovery(self):
        lab = self.lab
        old = lab.leader()
        lab.sql(old, CREATE)
        probe = WriteProbe.for_lab(lab)
        probe.create_table(old)
        probe.start()
        try:
            wait_until(lambda: probe.acked_on(old) >= 5, 10.0, f"writes acknowledged by {old}")
            stopped_at = probe.mark("sigterm")
            self.assertTrue(lab.stop_agent(old))  # systemctl stop patroni: SIGTERM
            new = wait_until(lambda: (lab.leader() if lab.leader() not in (None, old) else None),
                             60.0, "a new leader")
            took = time.monotonic() - stopped_at
            wait_until(lambda: probe.acked_on(new) > 0, 30.0, f"a write acknowledged by {new}")
            time.sleep(1.0)
        finally:
            probe.stop()
        report = probe.report(old_primary=old, new_primary=new, read_back_leader=new)
        print(report.summary())
        print(f"Test 5 write gap: {report.gap_s:.2f} s (new leader after {took:.2f} s)")
        self.assertLess(took, 10.0, "a graceful stop hands over at once, not after the ttl (30 s)")
        self.assertFalse(report.split_brain, report.summary())
        self.assertEqual(report.missing, [], "a graceful handover loses no acknowledged write")
        # The seed's step 3, then writes on the new timeline.
        in_recovery = lab.sql(new, "SELECT pg_is_in_recovery()")[0][0]
        self.assertFalse(in_recovery)
        lab.sql(new, INSERT, ("written on the new timeline",))
        # Step 4: the old primary's agent starts again and rejoins as a replica.
        lab.start_agent(old)
        lab.wait_healthy(120.0)
        self.assertIn(old, lab.streaming_replicas())
        wait_until(lambda: self._count(old, "written on the new timeline") == 1, 30.0,
                   f"{old} to have the row written on the new timeline")
        self.assertTrue(lab.sql(old, "SELECT pg_is_in_recovery()")[0][0])


if __name__ == "__main__":
    unittest.main()
