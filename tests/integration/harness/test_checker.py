"""The fault checker's verdicts from made-up receipts (no servers, no clock)."""

from __future__ import annotations

import unittest

from . import checker
from .probe import Ack, parse_lsn


def acks(node, start, stop, step=0.02, lsn0=1000):
    out, at, i = [], start, 0
    while at <= stop + 1e-9:
        out.append(Ack(f"r:{node}:{start}:{i}", node, at - 0.005, at, 0.0, lsn0 + 100 * i))
        at += step
        i += 1
    return out


def verdict(receipts, present=None, leader="n2", mode="sync", **kwargs):
    keys = {a.key for a in receipts}
    if present is None:
        present = {"n1": set(keys), "n2": set(keys), "n3": set(keys)}
    kwargs.setdefault("expect_failover", True)
    return checker.check(run=1, fault="primary-all", mode=mode, acks=receipts, present=present,
                         leader=leader, old_primary="n1", fault_at=10.0, healed_at=40.0,
                         streams=kwargs.pop("streams", True), ttl=10.0, **kwargs)


class CheckerTest(unittest.TestCase):

    def test_a_clean_failover_passes_and_measures_gap_and_stop(self):
        v = verdict(acks("n1", 5.0, 18.0) + acks("n2", 25.0, 40.0))
        self.assertTrue(v.ok, v.problems)
        self.assertAlmostEqual(v.gap_s, 7.0, places=2)
        self.assertAlmostEqual(v.stop_s, 7.995, places=2)
        self.assertEqual((v.lost, v.diverged, v.overlap_s), (0, 0, 0.0))

    def test_overlapping_writes_on_two_nodes_are_split_brain(self):
        v = verdict(acks("n1", 5.0, 26.0) + acks("n2", 25.0, 40.0))
        self.assertFalse(v.ok)
        self.assertAlmostEqual(v.overlap_s, 0.995, places=2)
        self.assertTrue(any("split brain" in p for p in v.problems))
        # Within the margin it is tolerated.
        self.assertTrue(verdict(acks("n1", 5.0, 18.0) + acks("n2", 18.0, 40.0)).ok)

    def test_writes_blocked_until_the_heal_count_in_the_gap(self):
        v = verdict(acks("n1", 5.0, 12.0), leader="n1", expect_failover=False)
        self.assertAlmostEqual(v.gap_s, 28.0, places=2)  # last ack 12.0, heal at 40.0

    def test_writing_past_the_lease_is_reported(self):
        v = verdict(acks("n1", 5.0, 21.5) + acks("n2", 25.0, 40.0))
        self.assertTrue(any("past its lease" in p for p in v.problems))
        # Within ttl plus etcd's election timeout: a renewal by an isolated etcd leader.
        v = verdict(acks("n1", 5.0, 20.5) + acks("n2", 25.0, 40.0))
        self.assertFalse(any("past its lease" in p for p in v.problems))

    def test_a_lost_acknowledged_row_breaks_sync_mode_only(self):
        receipts = acks("n1", 5.0, 18.0) + acks("n2", 25.0, 40.0)
        keys = {a.key for a in receipts}
        gone = receipts[300].key
        v = verdict(receipts, {"n2": keys - {gone}, "n3": keys - {gone}, "n1": keys - {gone}})
        self.assertEqual(v.lost, 1)
        self.assertTrue(any("lost in sync mode" in p for p in v.problems))
        a = verdict(receipts, {"n2": keys - {gone}, "n3": keys - {gone}, "n1": keys - {gone}},
                    mode="async", fork_lsn=receipts[300].lsn - 50, max_lag=1048576)
        self.assertTrue(a.ok, a.problems)
        self.assertEqual(a.lost_wal, 50)
        big = verdict(receipts, {"n2": keys - {gone}, "n3": keys - {gone}, "n1": keys - {gone}},
                      mode="async", fork_lsn=0, max_lag=1000)
        self.assertTrue(any("maximum_lag_on_failover" in p for p in big.problems))

    def test_a_replica_with_rows_the_leader_lacks_was_not_rewound(self):
        receipts = acks("n1", 5.0, 18.0) + acks("n2", 25.0, 40.0)
        keys = {a.key for a in receipts}
        v = verdict(receipts, {"n1": keys | {"r:n1:extra"}, "n2": keys, "n3": keys})
        self.assertEqual(v.diverged, 1)
        self.assertFalse(v.ok)

    def test_unacknowledged_rows_are_counted_not_failed(self):
        receipts = acks("n1", 5.0, 18.0) + acks("n2", 25.0, 40.0)
        keys = {a.key for a in receipts} | {"r:n1:timeout"}
        v = verdict(receipts, {"n1": keys, "n2": keys, "n3": keys})
        self.assertEqual(v.unacked, 1)
        self.assertTrue(v.ok)

    def test_failover_expectations_and_streaming(self):
        receipts = acks("n1", 5.0, 40.0)
        v = verdict(receipts, leader="n1", expect_failover=False)
        self.assertTrue(v.ok, v.problems)
        self.assertTrue(any("expected a failover" in p for p in verdict(receipts, leader="n1").problems))
        moved = verdict(acks("n1", 5.0, 18.0) + acks("n2", 25.0, 40.0), expect_failover=False)
        self.assertTrue(any("unexpected failover" in p for p in moved.problems))
        self.assertFalse(verdict(receipts, leader="n1", expect_failover=None, streams=False).ok)

    def test_the_table_has_a_row_per_run_and_names_each_problem(self):
        good = verdict(acks("n1", 5.0, 18.0) + acks("n2", 25.0, 40.0))
        bad = verdict(acks("n1", 5.0, 26.0) + acks("n2", 25.0, 40.0))
        text = checker.table([good, bad])
        self.assertEqual(len([line for line in text.splitlines() if line.startswith("| ")]), 3)
        self.assertIn("FAIL", text)
        self.assertIn("split brain", text)
        self.assertIn("1 broke an invariant", checker.totals([good, bad]))

    def test_lsn_text_is_parsed(self):
        self.assertEqual(parse_lsn("1/0"), 1 << 32)
        self.assertEqual(parse_lsn("0/3000A0"), 0x3000A0)
        self.assertIsNone(parse_lsn("garbage"))


if __name__ == "__main__":
    unittest.main()
