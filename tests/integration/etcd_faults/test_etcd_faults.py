"""etcd as the seed runs it (3 members, https, client-certificate auth on clients and peers) and
the faults a production cluster sees, against real pghalo agents:

  - the seed's Test 4: one etcd member stops; the cluster keeps its leader, writes go on, no
    error is logged more than once per cycle; the member restarts and rejoins;
  - the endpoint an agent was using dies: it moves to another without a failover;
  - quorum loss: two members stop; the primary refuses writes before its lease can expire, no
    replica promotes; the members return and a single writable primary returns;
  - TLS mistakes on one agent (wrong CA, missing or expired client certificate): one clear error
    naming the endpoint and the TLS reason, retries, recovery after the files are fixed and SIGHUP;
  - corrupt values in etcd (member key, config, failover, history): logged and ignored.

  cd tests/integration && python3 -m unittest -v etcd_faults.test_etcd_faults
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import unittest
from pathlib import Path

from harness import pg
from harness.lab import Lab, wait_until
from labkit import etcd as lab_etcd

# Fast profile: ttl 10, loop_wait 2, retry_timeout 4 (pghalo's fence margin: 1 s).
TTL, LOOP_WAIT, RETRY_TIMEOUT = 10, 2, 4


def writable(lab: Lab, node: str) -> bool:
    try:
        lab.sql(node, "CREATE TABLE IF NOT EXISTS etcd_fault_probe (t timestamptz)", timeout=2.0)
        lab.sql(node, "INSERT INTO etcd_fault_probe VALUES (now())", timeout=2.0)
        return True
    except Exception:  # read-only, refused, or down: not writable
        return False


def writable_nodes(lab: Lab) -> list[str]:
    return [n for n in lab.nodes if writable(lab, n)]


def log_lines_since(lab: Lab, node: str, offset: int) -> list[str]:
    text = Path(lab.spec.agent_log(lab.number(node))).read_text(errors="replace")
    return text[offset:].splitlines()


def log_size(lab: Lab, node: str) -> int:
    return len(Path(lab.spec.agent_log(lab.number(node))).read_text(errors="replace"))


@unittest.skipIf(pg.psycopg2 is None, "psycopg2 is not importable (python3-psycopg2)")
class EtcdFaultTests(unittest.TestCase):
    lab: Lab

    @classmethod
    def setUpClass(cls):
        cls.lab = Lab(agent="pghalo", profile="fast", haproxy=False, wait_timeout=180.0)
        cls.lab.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.lab.__exit__(None, None, None)

    def tearDown(self):
        for member in (1, 2, 3):
            self.lab.start_etcd(member) if not self._etcd_up(member) else None
        for node in self.lab.nodes:
            if not self.lab.agent_alive(node):
                self.lab.start_agent(node)
        self.lab.wait_healthy(180.0)

    def _etcd_up(self, member: int) -> bool:
        rec = self.lab.state.procs.get(f"etcd{member}")
        from labkit import procs
        return procs.alive(rec)

    def test_seed_test_4_one_etcd_member_down_changes_nothing(self):
        lab = self.lab
        leader = lab.leader()
        offsets = {n: log_size(lab, n) for n in lab.nodes}
        stopped_at = time.monotonic()
        self.assertTrue(lab.stop_etcd(1))
        window = 3 * TTL
        deadline = stopped_at + window
        while time.monotonic() < deadline:
            self.assertEqual(lab.leader(), leader, "no failover with 2 of 3 etcd members")
            self.assertTrue(writable(lab, leader), "writes go on")
            time.sleep(1.0)
        cycles = window / LOOP_WAIT + 1
        for node in lab.nodes:
            errors = [line for line in log_lines_since(lab, node, offsets[node])
                      if " ERROR " in line]
            self.assertLessEqual(len(errors), cycles, f"{node} logged {len(errors)} errors:\n"
                                 + "\n".join(errors[:10]))
        status, cluster = lab.rest(leader, "/cluster")  # the seed's check
        self.assertEqual(status, 200)
        self.assertEqual(len(cluster["members"]), 3)
        lab.start_etcd(1)
        wait_until(lambda: lab_etcd.etcdctl(lab.spec, ["endpoint", "health"],
                                            endpoints=[lab.spec.etcd_endpoints()[0]]).returncode == 0,
                   30.0, "etcd1 to rejoin")
        self.assertEqual(lab.leader(), leader)

    def test_the_endpoint_in_use_dies_and_agents_move_on_without_failover(self):
        lab = self.lab
        leader = lab.leader()
        # Agents prefer the endpoint that answered last; with all healthy that is the first.
        for member in (1, 2):
            self.assertTrue(lab.stop_etcd(member))
            time.sleep(1.0)
            lab.start_etcd(member)
            time.sleep(2 * LOOP_WAIT)
        self.assertEqual(lab.leader(), leader)
        self.assertTrue(writable(lab, leader))

    def test_quorum_loss_stops_writes_before_the_lease_expires_and_no_replica_promotes(self):
        lab = self.lab
        leader = lab.leader()
        self.assertTrue(writable(lab, leader))
        self.assertTrue(lab.stop_etcd(2))
        self.assertTrue(lab.stop_etcd(3))
        lost_at = time.monotonic()
        refused_at = wait_until(lambda: time.monotonic() if not writable(lab, leader) else None,
                                TTL + RETRY_TIMEOUT + LOOP_WAIT + 10, "the primary to refuse writes")
        took = refused_at - lost_at
        print(f"quorum loss: the primary refused writes {took:.1f} s after etcd lost quorum "
              f"(ttl {TTL})")
        self.assertLess(took, TTL + RETRY_TIMEOUT + LOOP_WAIT)
        # Refused as a read-only server, not killed.
        wait_until(lambda: lab.sql(leader, "SELECT pg_is_in_recovery()", timeout=2.0)[0][0], 30.0,
                   "the old primary to serve reads as a standby")
        with self.assertRaises(Exception) as refused:
            lab.sql(leader, "INSERT INTO etcd_fault_probe VALUES (now())", timeout=2.0)
        self.assertIn("read-only", str(refused.exception))
        # Nobody else becomes writable while etcd has no quorum.
        end = time.monotonic() + 2 * TTL
        while time.monotonic() < end:
            self.assertEqual(writable_nodes(lab), [])
            time.sleep(1.0)
        lab.start_etcd(2)
        lab.start_etcd(3)
        lab.wait_healthy(120.0)
        self.assertEqual(len(writable_nodes(lab)), 1)

    def test_a_tls_mistake_is_one_clear_error_and_sighup_recovers(self):
        lab = self.lab
        leader = lab.leader()
        node = sorted(set(lab.nodes) - {leader})[0]
        n = lab.number(node)
        config = Path(lab.spec.config_path(n))
        private = Path(lab.spec.node_dir(n)) / "tls"
        private.mkdir(exist_ok=True)
        tls = Path(lab.spec.tls_file("ca.crt")).parent
        for name in ("ca.crt", "etcd-client.crt", "etcd-client.key"):
            shutil.copy(tls / name, private / name)
        shutil.chown(private, user="postgres")
        for f in private.iterdir():
            shutil.chown(f, user="postgres")
        text = config.read_text()
        config.write_text(text.replace(str(tls / "ca.crt"), str(private / "ca.crt"))
                          .replace(str(tls / "etcd-client."), str(private / "etcd-client.")))
        lab.kill(node, "HUP")
        time.sleep(2 * LOOP_WAIT)

        other_ca = Path(lab.spec.node_dir(n)) / "other-ca"
        subprocess.run([str(Path(__file__).resolve().parents[3] / "lab" / "make-certs.sh"),
                        str(other_ca), "--client", "etcd-client", "--days", "30"],
                       check=True, capture_output=True, timeout=120)
        cases = {
            "wrong CA": lambda: shutil.copy(other_ca / "ca.crt", private / "ca.crt"),
            "client certificate from another CA": lambda: (
                shutil.copy(other_ca / "etcd-client.crt", private / "etcd-client.crt"),
                shutil.copy(other_ca / "etcd-client.key", private / "etcd-client.key")),
        }
        def restore():
            for name in ("ca.crt", "etcd-client.crt", "etcd-client.key"):
                shutil.copy(tls / name, private / name)

        try:
            for what, break_it in cases.items():
                with self.subTest(mistake=what):
                    offset = log_size(lab, node)
                    break_it()
                    lab.kill(node, "HUP")
                    wait_until(lambda: any(" ERROR dcs_unavailable:" in l
                                           for l in log_lines_since(lab, node, offset)),
                               30.0, f"{node} to report the TLS error")
                    time.sleep(3 * LOOP_WAIT)
                    errors = [l for l in log_lines_since(lab, node, offset)
                              if " ERROR dcs_unavailable:" in l]
                    print(f"{what}: {errors[0].split('dcs_unavailable: ', 1)[1]}")
                    self.assertRegex(errors[0], r"https://127\.0\.0\.1:\d+")
                    self.assertRegex(errors[0], r"TLS|certificate|SSL")
                    self.assertEqual(len(errors), 1, "the same error is logged once, not every cycle")
                    self.assertTrue(lab.agent_alive(node), "the agent keeps retrying")
                    self.assertEqual(lab.leader(), leader, "a replica losing etcd changes nothing")
                    restore()
                    offset = log_size(lab, node)
                    lab.kill(node, "HUP")
                    wait_until(lambda: any("etcd answers again" in l
                                           for l in log_lines_since(lab, node, offset)),
                               30.0, f"{node} to reach etcd again")
        finally:
            restore()
            lab.kill(node, "HUP")

    def test_corrupt_values_in_etcd_are_logged_and_ignored(self):
        lab = self.lab
        leader = lab.leader()
        base = lab.spec.leader_key().rsplit("/", 1)[0]
        replica = sorted(set(lab.nodes) - {leader})[0]
        saved = {k: lab_etcd.get_value(lab.spec, f"{base}/{k}") for k in ("config", "history")}
        garbage = {f"members/{replica}": "{not json", "failover": "[1,2", "history": "{}{}",
                   "config": "not even close"}
        offset = {n: log_size(lab, n) for n in lab.nodes}
        for key, value in garbage.items():
            result = lab_etcd.etcdctl(lab.spec, ["put", f"{base}/{key}", value])
            self.assertEqual(result.returncode, 0, result.stderr)
        time.sleep(4 * LOOP_WAIT)
        # The corrupted member key was rewritten by its owner.
        status, cluster = lab.rest(leader, "/cluster")
        self.assertEqual(len(cluster["members"]), 3, cluster)
        for node in lab.nodes:
            self.assertTrue(lab.agent_alive(node), f"{node}'s agent survived")
            lines = log_lines_since(lab, node, offset[node])
            self.assertTrue(any("dcs_corrupt_values" in l for l in lines), f"{node} said nothing")
        self.assertEqual(lab.leader(), leader)
        self.assertTrue(writable(lab, leader))
        for key, value in saved.items():
            if value is not None:
                lab_etcd.etcdctl(lab.spec, ["put", f"{base}/{key}", value])
        lab_etcd.etcdctl(lab.spec, ["put", f"{base}/failover", "{}"])


if __name__ == "__main__":
    unittest.main()
