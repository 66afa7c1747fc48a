"""The write probe's report, computed from made-up receipts (no servers, no clock)."""

from __future__ import annotations

import unittest

from .probe import Ack, analyse, runs_of


def acks(node: str, start: float, stop: float, step: float = 0.02) -> list[Ack]:
    out, at, i = [], start, 0
    while at <= stop + 1e-9:
        out.append(Ack(f"r:{node}:{i}", node, at - 0.001, at, 1000.0 + at))
        at += step
        i += 1
    return out


def report(receipts, **kwargs):
    nodes = sorted({a.node for a in receipts} | {"n3"})
    return analyse(receipts, started=100.0, duration=30.0, attempts={n: 0 for n in nodes},
                   errors={n: {} for n in nodes}, **kwargs)


class ProbeAnalysisTest(unittest.TestCase):

    def test_a_clean_failover_has_a_gap_and_no_overlap(self):
        r = report(acks("n1", 101.0, 103.0) + acks("n2", 112.0, 115.0))
        self.assertEqual((r.old_primary, r.new_primary), ("n1", "n2"))
        self.assertAlmostEqual(r.last_ack_old, 3.0, places=6)
        self.assertAlmostEqual(r.first_ack_new, 12.0, places=6)
        self.assertAlmostEqual(r.gap_s, 9.0, places=6)
        self.assertFalse(r.split_brain)

    def test_two_nodes_acknowledging_at_the_same_time_is_split_brain(self):
        r = report(acks("n1", 101.0, 110.0) + acks("n2", 108.0, 115.0))
        self.assertTrue(r.split_brain)
        (first, second), = r.overlaps
        self.assertEqual((first.node, second.node), ("n1", "n2"))
        # The gap is measured to the old primary's last ack before the new one's first.
        self.assertLessEqual(r.gap_s, 0.02 + 1e-9)

    def test_a_pause_longer_than_the_run_gap_splits_a_run(self):
        runs = runs_of(acks("n1", 0.0, 1.0) + acks("n1", 3.0, 4.0), run_gap=0.5)
        self.assertEqual([(r.first, round(r.last, 6)) for r in runs], [(0.0, 1.0), (3.0, 4.0)])

    def test_a_switch_back_later_is_not_an_overlap(self):
        r = report(acks("n1", 101.0, 102.0) + acks("n2", 105.0, 106.0) + acks("n1", 109.0, 110.0))
        self.assertFalse(r.split_brain)
        self.assertEqual(r.new_primary, "n2")

    def test_acknowledged_rows_absent_on_read_back_are_missing(self):
        receipts = acks("n1", 101.0, 101.1) + acks("n2", 112.0, 112.1)
        keys = {a.key for a in receipts}
        lost = {"r:n1:5"}
        r = report(receipts, present={"n2": keys - lost, "n1": keys, "n3": None},
                   read_back_from="n2")
        self.assertEqual(r.missing, ["r:n1:5"])
        self.assertEqual(r.missing_by_node, {"n2": 1, "n1": 0})
        self.assertEqual(r.unreadable, ["n3"])

    def test_marks_are_relative_to_the_start_and_summarised(self):
        r = report(acks("n1", 101.0, 102.0) + acks("n2", 110.0, 111.0), marks={"kill": 102.5})
        self.assertAlmostEqual(r.marks["kill"], 2.5)
        self.assertIn("from mark 'kill' to first ack on new primary: 7.500s", r.summary())

    def test_no_writes_at_all_gives_no_gap(self):
        r = report([])
        self.assertIsNone(r.old_primary)
        self.assertIsNone(r.gap_s)
        self.assertIn("write gap: -", r.summary())


if __name__ == "__main__":
    unittest.main()
