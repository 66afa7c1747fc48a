"""Unit tests of bench's pure parts: statistics, the table, wrk's output, leader-change counting.

    cd bench && python3 -m unittest -v test_benchkit      # no servers, well under a second
"""

from __future__ import annotations

import math
import sys
import unittest
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "lab"))
sys.path.insert(0, str(BENCH_DIR))

from benchkit import footprint, report, rest, soak, stats  # noqa: E402

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:20016/primary
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.21ms  450.00us  12.00ms   90.00%
    Req/Sec    13.10k     1.20k   15.00k    70.00%
  Latency Distribution
     50%    1.10ms
     75%    1.40ms
     90%    1.80ms
     99%    3.50ms
  260000 requests in 10.00s, 40.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  26000.50
Transfer/sec:      4.00MB
"""


def record(agent, measure, figures, ok=True, profile="fast", rep=0):
    return {"agent": agent, "profile": profile, "timing": [10, 2, 4], "rep": rep,
            "measure": measure, "ok": ok, "error": None if ok else "boom",
            "figures": figures, "load": [1.0, 1.0, 1.0], "at": 0.0}


class StatsTest(unittest.TestCase):
    def test_summary_ignores_missing_values(self):
        s = stats.summarize([3.0, None, 1.0, 2.0], failures=1)
        self.assertEqual((s.n, s.min, s.median, s.max, s.failures), (3, 1.0, 2.0, 3.0, 1))

    def test_even_count_median_is_the_mean_of_the_middle_two(self):
        self.assertEqual(stats.summarize([1, 2, 3, 10]).median, 2.5)

    def test_empty_summary_and_its_cell(self):
        s = stats.summarize([])
        self.assertEqual(s.n, 0)
        self.assertTrue(math.isnan(s.median))
        self.assertEqual(s.cell(".2f"), "- (n=0)")

    def test_cell_shows_min_median_max_and_n(self):
        self.assertEqual(stats.summarize([0.5, 0.25, 1.0]).cell(".2f"),
                         "0.25 / **0.50** / 1.00 (n=3)")
        self.assertEqual(stats.summarize([0.5]).cell(".1f"), "0.5 (n=1)")
        self.assertEqual(stats.summarize([0.5], failures=2).cell(".1f"), "0.5 (n=1, 2 failed)")

    def test_ratio_of_medians(self):
        a, b = stats.summarize([1.0, 2.0, 3.0]), stats.summarize([4.0, 8.0])
        self.assertEqual(stats.ratio(a, b), 2.0 / 6.0)
        self.assertIsNone(stats.ratio(a, stats.summarize([])))
        self.assertIsNone(stats.ratio(a, stats.summarize([0.0])))
        self.assertEqual(stats.ratio_cell(None), "-")
        self.assertEqual(stats.ratio_cell(0.333), "0.33x")
        self.assertEqual(stats.ratio_cell(41.2), "41.2x")
        self.assertEqual(stats.ratio_cell(0.004), "0.0040x")
        self.assertEqual(stats.ratio_cell(0.0), "0x")


class ReportTest(unittest.TestCase):
    def test_table_has_each_agents_cells_and_the_ratio(self):
        records = [record("pghalo", "crash", {"gap_s": g}) for g in (1.0, 2.0, 3.0)]
        records += [record("patroni", "crash", {"gap_s": g}) for g in (8.0, 9.0)]
        records.append(record("patroni", "crash", {}, ok=False))
        table = report.render(records)
        self.assertIn("### Profile `fast`: ttl 10, loop_wait 2, retry_timeout 4", table)
        row = next(line for line in table.splitlines() if line.startswith("| 1. crash"))
        self.assertIn("1.00 / **2.00** / 3.00 (n=3)", row)
        self.assertIn("8.00 / **8.50** / 9.00 (n=2, 1 failed)", row)
        self.assertIn("0.24x", row)
        self.assertNotIn("graceful", table)  # rows without samples are left out
        self.assertEqual(report.failures(records), ["patroni fast rep 0 crash: boom"])

    def test_derived_figure(self):
        rec = record("pghalo", "crash", {"event_to_first_write_s": 10.5,
                                         "event_to_key_gone_s": 10.0})
        self.assertAlmostEqual(report.figure(rec, "key_gone_to_first_write_s"), 0.5)
        self.assertIsNone(report.figure(record("pghalo", "crash", {}),
                                        "key_gone_to_first_write_s"))

    def test_profiles_keep_their_first_seen_order(self):
        records = [record("pghalo", "crash", {"gap_s": 1.0}, profile="seed"),
                   record("pghalo", "crash", {"gap_s": 1.0}, profile="fast")]
        self.assertEqual([p for p, _t in report.profile_order(records)], ["seed", "fast"])

    def test_load_summary(self):
        records = [record("pghalo", "crash", {"gap_s": 1.0}) for _ in range(3)]
        records[0]["load"] = [4.0, 1.0, 1.0]
        self.assertIn("min 1.0, median 1.0, max 4.0", report.load_summary(records))
        self.assertEqual(report.load_summary([]), "")

    def test_load_table_gives_the_range_before_and_after(self):
        records = [record("pghalo", "crash", {"gap_s": 1.0}) for _ in range(2)]
        records[0]["load_before"], records[1]["load_before"] = [2.0, 0, 0], [5.5, 0, 0]
        line = report.load_table(records).splitlines()[-1]
        self.assertEqual(line, "| fast | crash | pghalo | 2 | 2.0-5.5 | 1.0-1.0 |")


class WrkTest(unittest.TestCase):
    def test_parse(self):
        figures = rest.parse_wrk(WRK_OUTPUT)
        self.assertEqual(figures["rps"], 26000.5)
        self.assertAlmostEqual(figures["p50_ms"], 1.1)
        self.assertAlmostEqual(figures["p99_ms"], 3.5)
        self.assertEqual(figures["requests"], 260000)
        self.assertEqual((figures["non_2xx"], figures["socket_errors"], figures["timeouts"]),
                         (7, 5, 3))

    def test_units(self):
        self.assertAlmostEqual(rest._ms("850.00us"), 0.85)
        self.assertAlmostEqual(rest._ms("1.50s"), 1500.0)
        with self.assertRaises(ValueError):
            rest._ms("fast")


class FootprintTest(unittest.TestCase):
    def test_private_memory_and_pss_of_this_process(self):
        import os
        figures = footprint.smaps_kib(os.getpid())
        self.assertGreater(figures["private"], 0)
        self.assertGreater(figures["pss"], 0)
        rss = footprint.rss_kib(os.getpid())
        self.assertLessEqual(figures["private"], rss)  # private pages are resident pages

    def test_a_gone_process_has_no_figures(self):
        self.assertEqual(footprint.smaps_kib(2 ** 22 + 1), {})


class SoakCountTest(unittest.TestCase):
    def test_a_steady_leader_counts_nothing(self):
        self.assertEqual(soak.count_changes([(0.0, "node1")])["leader_changes"], 0)

    def test_changes_and_losses(self):
        counted = soak.count_changes([(0.0, "node1"), (1.0, None), (2.0, "node1"),
                                      (3.0, "node2"), (4.0, None), (5.0, "node3")])
        self.assertEqual(counted["leader_key_losses"], 2)
        self.assertEqual(counted["leader_changes"], 2)  # node1 -> node2 -> node3
        self.assertEqual(counted["holders"], ["node1", "node2", "node3"])


if __name__ == "__main__":
    unittest.main()
