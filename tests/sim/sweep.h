// Running many seeds: the probe table (how often each Reason and each rare branch was reached)
// and the list of failing seeds. A sweep forks worker processes (each runs a stride of the
// seeds on its own thread of virtual time) and merges what they report.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "world.h"

namespace pghalo::sim {

struct ProbeCount {
  long hits = 0;
  long seeds = 0;  // in how many runs it was hit at least once
};

struct SweepReport {
  long runs = 0;
  std::vector<std::pair<std::uint64_t, Violation>> failures;  // first violation per failing seed
  std::map<std::string, ProbeCount> probes;
  Ms max_converge = 0;  // slowest heal -> one primary
  double converge_total = 0;
  long converged = 0;

  void add(const RunResult& r);
  void merge(const SweepReport& other);
  std::string serialize() const;
  static SweepReport parse(const std::string& text);
};

SweepReport sweep(std::uint64_t from, long count, int jobs, long max_steps);
// The table: every Reason (never reached ones marked), then the world's and the log's probes.
void print_report(const SweepReport& report, std::ostream& out);
// The Reasons no run reached (no_action excluded: decide() never returns it).
std::vector<std::string> unreached_reasons(const SweepReport& report);

}  // namespace pghalo::sim
