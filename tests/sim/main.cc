// pghalo-sim: the deterministic simulator's command line.
//
//   pghalo-sim --seed N [--trace] [--steps S]      replay one seed (a readable trace with --trace)
//   pghalo-sim --sweep COUNT [--from SEED|random] [--jobs J] [--steps S]
//                                                  run COUNT seeds; print the failing seeds and
//                                                  the probe table
//
// Exit status: 0 when every run kept every invariant, 1 otherwise, 2 on a usage error.
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <string>

#include "sweep.h"
#include "world.h"

namespace {

using pghalo::sim::Ms;

int usage() {
  std::cerr << "usage: pghalo-sim --seed N [--trace] [--steps S]\n"
               "       pghalo-sim --sweep COUNT [--from SEED|random] [--jobs J] [--steps S]\n";
  return 2;
}

std::uint64_t parse_seed(const std::string& text) {
  if (text == "random") {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 16) ^ device();
  }
  return std::stoull(text);
}

int replay(std::uint64_t seed, bool trace, long steps) {
  pghalo::sim::RunOptions options;
  options.seed = seed;
  options.trace = trace;
  options.out = &std::cout;
  if (steps > 0) options.max_steps = steps;
  auto started = std::chrono::steady_clock::now();
  auto result = pghalo::sim::run_simulation(options);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::cout << "seed " << seed << ": " << result.nodes << " nodes, " << result.steps << " steps, "
            << result.virtual_end / 1000 << " virtual s, " << took.count() << " ms\n";
  if (result.converged_after_heal) {
    std::cout << "one primary " << *result.converged_after_heal / 1000.0 << " s after the final heal\n";
  }
  long reasons = 0;
  for (const auto& [name, hits] : result.probes) reasons += name.rfind("reason:", 0) == 0 ? 1 : 0;
  std::cout << reasons << " distinct reasons reached\n";
  for (const auto& v : result.violations) {
    std::cout << "VIOLATION " << v.invariant << " at " << v.at / 1000.0 << " s: " << v.detail << '\n';
  }
  std::cout << (result.ok() ? "OK\n" : "FAILED\n");
  return result.ok() ? 0 : 1;
}

int run_sweep(std::uint64_t from, long count, int jobs, long steps) {
  auto started = std::chrono::steady_clock::now();
  auto report = pghalo::sim::sweep(from, count, jobs, steps > 0 ? steps : pghalo::sim::RunOptions{}.max_steps);
  auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  pghalo::sim::print_report(report, std::cout);
  std::cout << "\nsweep: seeds " << from << ".." << from + static_cast<std::uint64_t>(count) - 1 << ", "
            << report.runs << " runs, " << report.failures.size() << " failing, " << took.count()
            << " s wall on " << jobs << " worker(s)\n";
  for (const auto& [seed, v] : report.failures) {
    std::cout << "FAILING SEED " << seed << ": " << v.invariant << " at " << v.at / 1000.0
              << " s: " << v.detail << '\n';
  }
  return report.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::uint64_t> seed;
  std::optional<long> sweep_count;
  std::uint64_t from = 1;
  bool trace = false;
  long steps = 0;
  int jobs = 2;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--seed") {
        seed = parse_seed(value());
      } else if (arg == "--sweep") {
        sweep_count = std::stol(value());
      } else if (arg == "--from") {
        from = parse_seed(value());
      } else if (arg == "--trace") {
        trace = true;
      } else if (arg == "--steps") {
        steps = std::stol(value());
      } else if (arg == "--jobs") {
        jobs = std::stoi(value());
      } else {
        return usage();
      }
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return usage();
  }
  if (seed) return replay(*seed, trace, steps);
  if (sweep_count && *sweep_count > 0) return run_sweep(from, *sweep_count, jobs, steps);
  return usage();
}
