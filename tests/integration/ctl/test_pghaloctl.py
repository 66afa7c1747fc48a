"""pghaloctl against a real lab: every subcommand, its effect on the cluster and its output.

One lab (3 etcd with TLS, 3 PostgreSQL 15 nodes, fast profile) serves the whole class; the tests
run in their numbered order and leave the cluster healthy for the next. The agent is pghalo by
default (the one in $PGHALO_BUILD_DIR, else the newest build/); PGHALO_CTL_AGENT=patroni runs
the same tests against Patroni 3.0.2, which writes the same etcd keys and serves the same REST
API, so pghaloctl must operate both.

  cd tests/integration && PGHALO_BUILD_DIR=../../build/dev python3 -m unittest -v ctl.test_pghaloctl

Ports: $PGHALO_LAB_BASE_PORT, else the first free base the harness finds; the restored backup
listens on base+60. PGHALOCTL names the binary (default: $PGHALO_BUILD_DIR/src/app/pghaloctl,
else the newest build/*/src/app/pghaloctl). PGHALO_UPDATE_GOLDEN=1 rewrites the golden files
in golden/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
from datetime import datetime, timedelta
from pathlib import Path

from harness import pg
from harness.lab import Lab, wait_until
from labkit.layout import LAB_PASSWORD, LAB_ROLE, SCOPE

from . import ctlkit

AGENT = os.environ.get("PGHALO_CTL_AGENT", "pghalo")


def _agent_available() -> bool:
    if AGENT == "patroni":
        return os.access("/usr/bin/patroni", os.X_OK)
    if os.environ.get("PGHALO_AGENT_BIN") or os.environ.get("PGHALO_BUILD_DIR"):
        return True
    return bool(list((ctlkit.REPO_ROOT / "build").glob("*/src/app/pghalo")))


@unittest.skipIf(pg.psycopg2 is None, "psycopg2 is not importable (python3-psycopg2)")
@unittest.skipUnless(_agent_available(), f"the {AGENT} agent is not installed or built")
class PghaloctlOnALab(unittest.TestCase):
    lab: Lab

    @classmethod
    def setUpClass(cls):
        options = {}
        if AGENT == "pghalo" and os.environ.get("PGHALO_AGENT_BIN"):
            options["agent_bin"] = os.environ["PGHALO_AGENT_BIN"]
        cls.lab = Lab(agent=AGENT, profile="fast", **options)
        cls.lab.__enter__()
        try:
            cls.client_config = str(Path(cls.lab.spec.dir) / "patronictl.yml")
            cls.node1_config = str(Path(cls.lab.spec.dir) / "node1" / "postgresql.yml")
            cls.sysid = str(cls.lab.sql(1, "SELECT system_identifier FROM pg_control_system()")[0][0])
            spec = cls.lab.spec
            cls.ports = {}
            for n in spec.node_numbers():
                cls.ports[spec.pg_port(n)] = f"pg{n}"
                cls.ports[spec.rest_port(n)] = f"rest{n}"
            for n in spec.etcd_numbers():
                cls.ports[spec.etcd_client_port(n)] = f"etcd{n}"
        except BaseException:
            cls.lab.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lab.__exit__(None, None, None)

    # ---- helpers ---------------------------------------------------------------------------

    def ctl(self, *args: str, config: str | None = None, code: int = 0, stdin: str = "",
            timeout: float = 120.0, env: dict | None = None) -> ctlkit.Run:
        result = ctlkit.run(["-c", config or self.client_config, *args], stdin=stdin,
                            timeout=timeout, env={"PGPASSWORD": LAB_PASSWORD, **(env or {})})
        self.assertEqual(result.code, code, f"pghaloctl {' '.join(args)}: {result}")
        self.assertNotIn("Traceback", result.err)
        return result

    def normalised(self, text: str, volatile: dict[str, str] | None = None) -> str:
        return ctlkit.normalise_table(text, volatile or {}, self.sysid, self.ports)

    def node(self, n: int) -> str:
        return self.lab.spec.node_name(n)

    def wait_settled(self, timeline: int) -> None:
        """Healthy, and every member key shows `timeline` (the agents publish it a cycle later)."""
        self.lab.wait_healthy(90)

        def settled():
            members = json.loads(self.ctl("list", "-f", "json").out)
            return len(members) == 3 and all(m.get("TL") == timeline for m in members)

        wait_until(settled, 60, f"every member on timeline {timeline}")

    # ---- reading ---------------------------------------------------------------------------

    def test_01_list_topology_history_and_show_config(self):
        listing = self.ctl("list")
        ctlkit.check_golden(self, "list.txt", self.normalised(listing.out))
        self.assertIn(f"Cluster: {SCOPE} ({self.sysid})", listing.out)
        self.assertNotIn("\033[", listing.out)  # a pipe gets no colour
        topology = self.ctl("topology")
        ctlkit.check_golden(self, "topology.txt", self.normalised(topology.out))
        history = self.ctl("history")
        ctlkit.check_golden(self, "history-initial.txt", self.normalised(history.out))
        # show-config prints exactly what patronictl prints.
        ours = self.ctl("show-config").out
        theirs = subprocess.run(["patronictl", "-c", self.client_config, "show-config"],
                                capture_output=True, text=True, timeout=60)
        if theirs.returncode == 0:
            self.assertEqual(ours, theirs.stdout)

    def test_02_machine_formats_agree_with_patronictl(self):
        ours = json.loads(self.ctl("list", "-f", "json").out)
        theirs = subprocess.run(["patronictl", "-c", self.client_config, "list", "-f", "json"],
                                capture_output=True, text=True, timeout=60)
        if theirs.returncode != 0:
            self.skipTest(f"patronictl failed: {theirs.stderr}")
        keys = ["Cluster", "Member", "Host", "Role", "State", "TL"]
        self.assertEqual([{k: m.get(k) for k in keys} for m in ours],
                         [{k: m.get(k) for k in keys} for m in json.loads(theirs.stdout)])
        self.assertTrue(all("Lag in MB" in m for m in ours if m["Role"] != "Leader"))
        tsv = self.ctl("list", "-f", "tsv").out.splitlines()
        self.assertEqual(tsv[0].split("\t")[:7],
                         ["Cluster", "Member", "Host", "Role", "State", "TL", "Lag in MB"])
        self.assertIn("- Cluster: postgres", self.ctl("list", "-f", "yaml").out)

    def test_03_dsn_query_version_and_lag(self):
        leader = self.lab.leader()
        port = self.lab.pg_port(leader)
        self.assertEqual(self.ctl("dsn").out, f"host=127.0.0.1 port={port}\n")
        out = self.ctl("query", "-U", LAB_ROLE, "-c", "SELECT pg_is_in_recovery() AS r").out
        self.assertEqual(out, "r\nf\n")
        out = self.ctl("query", "-U", LAB_ROLE, "-r", "replica", "-c",
                       "SELECT pg_is_in_recovery() AS r").out
        self.assertEqual(out, "r\nt\n")
        version = self.ctl("version", SCOPE).out
        for node in self.lab.nodes:
            self.assertRegex(version, rf"{node}: Patroni \d+\.\d+\.\d+ PostgreSQL 15\.\d+")
        lag = json.loads(self.ctl("lag", "-U", LAB_ROLE, "-f", "json").out)
        self.assertEqual({r["Member"] for r in lag["replication"]}, set(self.lab.nodes) - {leader})
        self.assertTrue(all(r["State"] == "streaming" for r in lag["replication"]))
        self.assertEqual(len(lag["slots"]), 2)
        pretty = self.ctl("lag", "-U", LAB_ROLE).out
        self.assertIn("Retained WAL", pretty)
        self.assertIn("Replay Lag", pretty)

    def test_03b_list_options_and_member_selection(self):
        extended = self.ctl("list", "-e").out
        self.assertIn("Pending restart", extended)
        self.assertIn("Scheduled restart", extended)
        stamped = self.ctl("list", "-t").out
        self.assertRegex(stamped.splitlines()[0], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
        watched = self.ctl("list", "-w", "1", "--count", "2", timeout=30)
        self.assertEqual(watched.out.count(f"Cluster: {SCOPE}"), 2, watched)
        replica = sorted(self.lab.replicas())[0]
        self.assertEqual(self.ctl("dsn", "-m", replica).out,
                         f"host=127.0.0.1 port={self.lab.pg_port(replica)}\n")
        out = self.ctl("query", "-U", LAB_ROLE, "-m", replica, "-c",
                       "SELECT pg_is_in_recovery() AS r").out
        self.assertEqual(out, "r\nt\n")
        err = self.ctl("dsn", "-m", "nosuchnode", code=2).err
        self.assertIn("its members are: " + ", ".join(self.lab.nodes), err)

    # ---- changing --------------------------------------------------------------------------

    def test_04_edit_config_writes_with_a_revision_check(self):
        out = self.ctl("edit-config", "-p", "work_mem=8MB", "--force").out
        self.assertIn("+    work_mem: 8MB", out)
        self.assertIn("Configuration changed", out)
        self.assertIn("work_mem: 8MB", self.ctl("show-config").out)
        out = self.ctl("edit-config", "--apply", "-", stdin="postgresql:\n  parameters:\n"
                       "    work_mem: null\n", code=1).out
        self.assertIn("Use --force option to apply changes", out)
        out = self.ctl("edit-config", "-p", "work_mem=null", stdin="y\n").out
        self.assertIn("-    work_mem: 8MB", out)
        self.assertNotIn("work_mem", self.ctl("show-config").out)
        self.assertIn("Not changed", self.ctl("edit-config", "-s", "ttl=10", "--force").out)

    def test_04b_edit_config_runs_the_editor(self):
        editor = Path(tempfile.mkdtemp(prefix="pghaloctl-editor-")) / "edit.sh"
        try:
            # The "editor" appends one setting to the file it is given, as a person would.
            editor.write_text("#!/bin/sh\nprintf 'maximum_lag_on_failover: 2097152\\n' >> \"$1\"\n")
            editor.chmod(0o755)
            out = self.ctl("edit-config", "--force", env={"EDITOR": str(editor)}).out
            self.assertIn("+maximum_lag_on_failover: 2097152", out)
            self.assertIn("maximum_lag_on_failover: 2097152", self.ctl("show-config").out)
        finally:
            shutil.rmtree(editor.parent, ignore_errors=True)

    def test_05_reload_and_restart_a_replica_and_the_leader(self):
        replica = self.lab.replicas()[0]
        out = self.ctl("reload", SCOPE, replica, "--force").out
        self.assertRegex(out, rf"(No changes to apply|Reload request received) (on )?(for )?member "
                              rf"{replica}")
        before = self.lab.rest(replica, "/patroni")[1]["postmaster_start_time"]
        out = self.ctl("restart", SCOPE, replica, "--force").out
        self.assertIn(f"Success: restart on member {replica}", out)
        self.assertIn(f"PostgreSQL on {replica} was down for", out)
        self.assertNotEqual(self.lab.rest(replica, "/patroni")[1]["postmaster_start_time"], before)
        # The leader keeps its lock through a restart; the output says how long writes stopped.
        leader = self.lab.leader()
        out = self.ctl("restart", SCOPE, leader, "--force").out
        self.assertIn(f"Success: restart on member {leader}", out)
        self.assertRegex(out, r"writes were unavailable for [0-9.]+(-[0-9.]+)? s")
        self.assertEqual(self.lab.leader_key(), leader)
        self.lab.wait_healthy(90)

    def test_06_pause_and_resume_wait_for_every_member(self):
        out = self.ctl("pause", "--wait").out
        self.assertIn("Success: cluster management is paused", out)
        self.assertIn("Maintenance mode: on", self.ctl("list").out)
        self.assertIn("already paused", self.ctl("pause", code=1).err)
        out = self.ctl("resume", "--wait").out
        self.assertIn("Success: cluster management is resumed", out)
        self.assertNotIn("Maintenance mode", self.ctl("list").out)

    def test_07_switchover_reports_the_write_outage(self):
        old = self.lab.leader()
        new = sorted(set(self.lab.nodes) - {old})[0]
        result = self.ctl("switchover", "--candidate", new, "--force")
        self.assertIn(f'Successfully switched over to "{new}"', result.out)
        self.assertRegex(result.out, r"Writes were unavailable for [0-9.]+(-[0-9.]+)? s")
        self.assertEqual(self.lab.leader_key(), new)
        self.wait_settled(2)
        history = self.ctl("history").out
        ctlkit.check_golden(self, "history-after-switchover.txt",
                            self.normalised(history, {"LSN": "<lsn>", "Timestamp": "<ts>"}))

    def test_08_failover_to_a_named_candidate(self):
        old = self.lab.leader()
        target = self.node(1) if old != self.node(1) else self.node(2)
        result = self.ctl("failover", "--candidate", target, "--force")
        self.assertIn(f'over to "{target}"', result.out)
        self.assertEqual(self.lab.leader_key(), target)
        self.wait_settled(3)
        ctlkit.check_golden(self, "list-after-failover.txt", self.normalised(self.ctl("list").out))

    def test_09_reinit_waits_until_the_replica_is_back(self):
        replica = sorted(self.lab.replicas())[-1]
        out = self.ctl("reinit", SCOPE, replica, "--force", "--wait", timeout=300).out
        self.assertIn(f"Success: reinitialize for member {replica}", out)
        self.assertIn(f"Reinitialize is completed on: {replica}", out)
        self.lab.wait_healthy(90)

    def test_10_scheduled_events_are_listed_and_flushed(self):
        leader = self.lab.leader()
        candidate = sorted(set(self.lab.nodes) - {leader})[0]
        at = (datetime.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        out = self.ctl("switchover", "--candidate", candidate, "--scheduled", at, "--force").out
        self.assertIn("Switchover scheduled", out)
        self.assertIn("Switchover scheduled at:", self.ctl("list").out)
        self.assertIn("Success: scheduled switchover deleted", self.ctl("flush", SCOPE,
                                                                        "switchover").out)
        self.assertEqual(self.lab.leader_key(), leader)
        out = self.ctl("restart", SCOPE, candidate, "--scheduled", at, "--force").out
        self.assertIn(f"Success: restart scheduled on member {candidate}", out)
        wait_until(lambda: "Scheduled restart" in self.ctl("list").out, 30, "the schedule listed")
        out = self.ctl("flush", SCOPE, candidate, "restart", "--force").out
        self.assertIn(f"Success: flush scheduled restart for member {candidate}", out)

    # ---- backup ----------------------------------------------------------------------------

    def test_11_backup_verifies_restores_and_prunes_only_old_backups(self):
        leader = self.lab.leader()
        self.lab.sql(leader, "CREATE TABLE IF NOT EXISTS ctl_backup_marker (x int)")
        self.lab.sql(leader, "INSERT INTO ctl_backup_marker VALUES (42)")
        directory = tempfile.mkdtemp(prefix="pghaloctl-backups-")
        try:
            old = Path(directory, "backup_20000101_000000")
            recent = Path(directory, (datetime.now() - timedelta(hours=1))
                          .strftime("backup_%Y%m%d_%H%M%S"))
            for d in (old, recent):
                d.mkdir()
            Path(directory, "notes.txt").write_text("not a backup")
            result = self.ctl("backup", "-D", directory, "--retention-days", "1",
                              config=self.node1_config, timeout=300)
            self.assertIn("Verified: backup successfully verified", result.out)
            self.assertIn("removed backup_20000101_000000", result.out)
            self.assertFalse(old.exists())
            self.assertTrue(recent.exists())
            self.assertTrue(Path(directory, "notes.txt").exists())
            made = [p for p in Path(directory).iterdir() if p.name.startswith("backup_")
                    and p not in (old, recent)]
            self.assertEqual(len(made), 1, [p.name for p in Path(directory).iterdir()])
            self.assertEqual({p.name for p in made[0].iterdir()},
                             {"base.tar.gz", "pg_wal.tar.gz", "backup_manifest"})
            server = ctlkit.RestoredServer(str(made[0]), self.lab.spec.base_port + 60)
            try:
                started = server.start()
                self.assertEqual(started.returncode, 0, f"{started.stderr}\n{server.log()}")
                self.assertEqual(server.sql("SELECT max(x) FROM ctl_backup_marker"), "42")
                self.assertEqual(server.sql("SELECT pg_is_in_recovery()"), "f")
            finally:
                server.close()
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def test_12_a_failed_backup_leaves_nothing(self):
        directory = tempfile.mkdtemp(prefix="pghaloctl-backups-")
        try:
            result = self.ctl("backup", "-D", directory, "-U", "nosuchuser",
                              config=self.client_config, code=1, timeout=120)
            self.assertIn("pg_basebackup failed", result.err)
            self.assertEqual(list(Path(directory).iterdir()), [])
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    # ---- mistakes and outages --------------------------------------------------------------

    def test_13_bad_requests_exit_2_with_the_valid_choices(self):
        err = self.ctl("reload", SCOPE, "nosuchnode", "--force", code=2).err
        self.assertIn("its members are: " + ", ".join(self.lab.nodes), err)
        err = self.ctl("switchover", "--candidate", "nosuchnode", "--force", code=2).err
        self.assertIn("candidates: ", err)
        leader = self.lab.leader()
        err = self.ctl("reinit", SCOPE, leader, "--force", code=2).err
        self.assertIn("is the leader", err)
        self.assertIn("unknown output format", self.ctl("list", "-f", "xml", code=2).err)
        self.assertIn("unknown command", self.ctl("frobnicate", code=2).err)
        self.assertIn("does not exist", ctlkit.run(["-c", "/nonexistent.yml", "list"]).err)

    def test_13b_the_leaders_refusal_is_shown(self):
        leader = self.lab.leader()
        candidate = sorted(set(self.lab.nodes) - {leader})[0]
        result = self.ctl("switchover", "--candidate", candidate, "--scheduled",
                          "2020-01-01T00:00+00:00", "--force", code=1)
        self.assertIn("Cannot schedule switchover in the past", result.out + result.err)
        self.assertEqual(self.lab.leader_key(), leader)

    def test_14_unreachable_etcd_fails_fast_naming_the_endpoints(self):
        dead = f"127.0.0.1:{self.lab.spec.base_port + 61}"
        result = self.ctl("--dcs-url", f"etcd3://{dead}", "list", code=1, timeout=60)
        self.assertLess(result.seconds, 30)
        self.assertIn(dead, result.err)
        self.assertIn("cannot read cluster", result.err)

    def test_14b_a_frozen_agent_costs_one_request_timeout(self):
        replica = sorted(self.lab.replicas())[0]
        self.lab.kill(replica, "STOP")  # its REST API accepts connections and never answers
        try:
            version = self.ctl("--request-timeout", "2", "version", SCOPE, timeout=30)
            self.assertLess(version.seconds, 10, version)
            self.assertIn(f"{replica}: failed to get version", version.out)
            others = set(self.lab.nodes) - {replica}
            for node in others:
                self.assertRegex(version.out, rf"{node}: Patroni \d+\.\d+\.\d+")
            listing = self.ctl("--request-timeout", "2", "list", timeout=30)
            self.assertLess(listing.seconds, 10, listing)
            self.assertIn(replica, listing.out)
        finally:
            self.lab.kill(replica, "CONT")
        self.lab.wait_healthy(90)

    def test_15_remove_deletes_only_the_named_cluster(self):
        self.ctl("edit-config", "ghost", "--apply", "-", "--force", stdin="ttl: 30\n")
        self.assertIn("ttl: 30", self.ctl("show-config", "ghost").out)
        answers = "ghost\nYes I am aware\n"
        self.ctl("remove", "ghost", stdin=answers)
        self.assertEqual(self.ctl("show-config", "ghost").out, "{}\n\n")
        self.assertEqual(self.lab.leader_key(), self.lab.leader())
        self.ctl("remove", SCOPE, stdin="wrong\n", code=1)
        self.assertIsNotNone(self.lab.leader_key())


if __name__ == "__main__":
    unittest.main()
