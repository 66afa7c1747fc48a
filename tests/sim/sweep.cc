#include "sweep.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ha/reason.h"

namespace pghalo::sim {

void SweepReport::add(const RunResult& r) {
  ++runs;
  if (!r.violations.empty()) failures.emplace_back(r.seed, r.violations.front());
  for (const auto& [name, hits] : r.probes) {
    ProbeCount& p = probes[name];
    p.hits += hits;
    p.seeds += 1;
  }
  if (r.converged_after_heal) {
    max_converge = std::max(max_converge, *r.converged_after_heal);
    converge_total += static_cast<double>(*r.converged_after_heal);
    ++converged;
  }
}

void SweepReport::merge(const SweepReport& o) {
  runs += o.runs;
  failures.insert(failures.end(), o.failures.begin(), o.failures.end());
  for (const auto& [name, p] : o.probes) {
    probes[name].hits += p.hits;
    probes[name].seeds += p.seeds;
  }
  max_converge = std::max(max_converge, o.max_converge);
  converge_total += o.converge_total;
  converged += o.converged;
}

// One record per line, tab-separated; names and details never contain tabs or newlines.
std::string SweepReport::serialize() const {
  std::ostringstream s;
  s << "R\t" << runs << '\t' << max_converge << '\t' << converge_total << '\t' << converged << '\n';
  for (const auto& [seed, v] : failures) {
    std::string detail = v.detail;
    for (char& c : detail) {
      if (c == '\t' || c == '\n') c = ' ';
    }
    s << "F\t" << seed << '\t' << v.invariant << '\t' << v.at << '\t' << detail << '\n';
  }
  for (const auto& [name, p] : probes) s << "P\t" << name << '\t' << p.hits << '\t' << p.seeds << '\n';
  return s.str();
}

SweepReport SweepReport::parse(const std::string& text) {
  SweepReport r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::size_t start = 0;
    while (true) {
      auto tab = line.find('\t', start);
      f.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (f[0] == "R" && f.size() == 5) {
      r.runs = std::stol(f[1]);
      r.max_converge = std::stoll(f[2]);
      r.converge_total = std::stod(f[3]);
      r.converged = std::stol(f[4]);
    } else if (f[0] == "F" && f.size() == 5) {
      r.failures.emplace_back(std::stoull(f[1]), Violation{f[2], std::stoll(f[3]), f[4]});
    } else if (f[0] == "P" && f.size() == 4) {
      r.probes[f[1]] = ProbeCount{std::stol(f[2]), std::stol(f[3])};
    }
  }
  return r;
}

namespace {

SweepReport run_stride(std::uint64_t from, long count, int stride, int offset, long max_steps) {
  SweepReport report;
  for (long i = offset; i < count; i += stride) {
    RunOptions options;
    options.seed = from + static_cast<std::uint64_t>(i);
    options.max_steps = max_steps;
    report.add(run_simulation(options));
  }
  return report;
}

}  // namespace

SweepReport sweep(std::uint64_t from, long count, int jobs, long max_steps) {
  if (jobs <= 1) return run_stride(from, count, 1, 0, max_steps);
  struct Worker {
    pid_t pid;
    int fd;
  };
  std::vector<Worker> workers;
  for (int j = 0; j < jobs; ++j) {
    int fds[2];
    if (pipe(fds) != 0) return run_stride(from, count, 1, 0, max_steps);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      std::string out = run_stride(from, count, jobs, j, max_steps).serialize();
      std::size_t done = 0;
      while (done < out.size()) {
        ssize_t n = write(fds[1], out.data() + done, out.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      close(fds[1]);
      _exit(0);
    }
    close(fds[1]);
    workers.push_back({pid, fds[0]});
  }
  SweepReport total;
  for (const auto& w : workers) {
    std::string text;
    char buf[65536];
    ssize_t n;
    while ((n = read(w.fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    close(w.fd);
    int status = 0;
    waitpid(w.pid, &status, 0);
    total.merge(SweepReport::parse(text));
  }
  return total;
}

std::vector<std::string> unreached_reasons(const SweepReport& report) {
  std::vector<std::string> out;
  for (ha::Reason r : ha::all_reasons()) {
    if (r == ha::Reason::kNoAction) continue;
    std::string name(ha::reason_name(r));
    if (!report.probes.count("reason:" + name)) out.push_back(name);
  }
  return out;
}

void print_report(const SweepReport& report, std::ostream& out) {
  out << "\n== Reasons (" << ha::kReasonCount << ") ==\n";
  out << std::left << std::setw(40) << "reason" << std::right << std::setw(12) << "cycles"
      << std::setw(10) << "seeds" << '\n';
  for (ha::Reason r : ha::all_reasons()) {
    std::string name(ha::reason_name(r));
    auto it = report.probes.find("reason:" + name);
    out << std::left << std::setw(40) << name << std::right;
    if (it == report.probes.end()) {
      out << std::setw(12) << "-" << std::setw(10) << "-"
          << (r == ha::Reason::kNoAction ? "   (the neutral default; decide() never returns it)" : "   NEVER REACHED")
          << '\n';
    } else {
      out << std::setw(12) << it->second.hits << std::setw(10) << it->second.seeds << '\n';
    }
  }
  out << "\n== Rare branches and faults (world probes) ==\n";
  for (const auto& [name, p] : report.probes) {
    if (name.rfind("reason:", 0) == 0 || name.rfind("log:", 0) == 0) continue;
    out << std::left << std::setw(52) << name << std::right << std::setw(10) << p.hits
        << std::setw(10) << p.seeds << '\n';
  }
  out << "\n== Log events (agent, store, watcher) ==\n";
  for (const auto& [name, p] : report.probes) {
    if (name.rfind("log:", 0) != 0) continue;
    out << std::left << std::setw(52) << name.substr(4) << std::right << std::setw(10) << p.hits
        << std::setw(10) << p.seeds << '\n';
  }
  auto unreached = unreached_reasons(report);
  out << "\nReasons never reached: " << (unreached.empty() ? "none" : "");
  for (std::size_t i = 0; i < unreached.size(); ++i) out << (i ? ", " : "") << unreached[i];
  out << '\n';
  if (report.converged > 0) {
    out << "heal -> one primary: mean " << std::fixed << std::setprecision(1)
        << report.converge_total / static_cast<double>(report.converged) / 1000.0 << " s, max "
        << static_cast<double>(report.max_converge) / 1000.0 << " s over " << report.converged
        << " runs\n";
  }
}

}  // namespace pghalo::sim
