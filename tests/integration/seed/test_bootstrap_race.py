"""Bootstrap race: three pghalo agents, each with a bootstrap section, started at the same
instant on empty data directories. Exactly one runs initdb; the cluster has one system
identifier, and the other two clone from the winner.

  cd tests/integration && python3 -m unittest -v seed.test_bootstrap_race
"""

from __future__ import annotations

import unittest
from pathlib import Path

from harness import pg
from harness.lab import Lab


@unittest.skipIf(pg.psycopg2 is None, "psycopg2 is not importable (python3-psycopg2)")
class BootstrapRaceTest(unittest.TestCase):

    def test_three_simultaneous_starts_give_one_initdb_and_one_system_identifier(self):
        with Lab(agent="pghalo", profile="fast", bootstrap_race=True, haproxy=False) as lab:
            logs = {n: Path(lab.spec.agent_log(lab.number(n))).read_text() for n in lab.nodes}
            winners = [n for n, text in logs.items() if "won the initialize race" in text]
            initdbs = [n for n, text in logs.items() if "bootstrap started" in text]
            clones = [n for n, text in logs.items() if "clone started" in text]
            self.assertEqual(len(winners), 1, f"initialize race winners: {winners}")
            self.assertEqual(initdbs, winners)
            self.assertEqual(sorted(clones), sorted(set(lab.nodes) - set(winners)))
            sysids = {n: lab.sql(n, "SELECT system_identifier::text FROM pg_control_system()")[0][0]
                      for n in lab.nodes}
            self.assertEqual(len(set(sysids.values())), 1, sysids)
            leader = lab.leader()
            self.assertEqual(leader, winners[0])
            status, body = lab.rest(leader, "/patroni")
            self.assertEqual(body["database_system_identifier"], next(iter(sysids.values())))


if __name__ == "__main__":
    unittest.main()
