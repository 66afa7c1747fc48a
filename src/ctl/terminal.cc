#include "ctl/terminal.h"

#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

extern char** environ;  // NOLINT: POSIX

namespace pghalo::ctl {
namespace {

std::atomic<bool> g_interrupted{false};

void on_signal(int signal_number) {
  if (g_interrupted.exchange(true)) {
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
  }
}

// Reads one line from fd 0 byte by byte, so that a signal (EINTR) ends the wait.
std::optional<std::string> read_stdin_line() {
  std::string line;
  while (true) {
    char c = 0;
    ssize_t n = ::read(0, &c, 1);
    if (n == 1) {
      if (c == '\n') return line;
      line += c;
      if (line.size() > 64 * 1024) return line;
      continue;
    }
    if (n < 0 && errno == EINTR && !g_interrupted.load()) continue;
    if (n == 0 && !line.empty()) return line;
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> TerminalPrompter::read_line(const std::string& question,
                                                       bool hide_input) {
  std::cout << question << std::flush;
  termios saved{};
  bool hidden = hide_input && ::isatty(0) && ::tcgetattr(0, &saved) == 0;
  if (hidden) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSANOW, &quiet);
  }
  auto line = read_stdin_line();
  if (hidden) {
    ::tcsetattr(0, TCSANOW, &saved);
    std::cout << "\n";
  }
  if (line && !line->empty() && line->back() == '\r') line->pop_back();
  // Piped answers are not echoed: end the question's line so what follows starts on its own.
  if (!::isatty(0)) std::cout << "\n";
  return line;
}

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read ends with EINTR
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() { return g_interrupted.load(); }

void interruptible_sleep(Duration d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (!g_interrupted.load() && std::chrono::steady_clock::now() < end) {
    auto left = std::chrono::duration_cast<Duration>(end - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::min<Duration>(left, std::chrono::milliseconds(100)));
  }
}

Result<int> run_attached_program(const AttachedProgram& program) {
  if (program.argv.empty()) return make_error(ErrorCode::kInvalidArgument, "no program to run");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (program.env.count(entry.substr(0, entry.find('=')))) continue;
    env_strings.push_back(entry);
  }
  for (const auto& [k, v] : program.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (const auto& a : program.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kUnavailable, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execvpe(argv[0], argv.data(), envp.data());
    std::cerr << "cannot run " << argv[0] << ": " << std::strerror(errno) << "\n";
    ::_exit(127);
  }
  auto start = std::chrono::steady_clock::now();
  bool terminated = false;
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return -1;
    }
    if (done < 0 && errno != EINTR) {
      return make_error(ErrorCode::kInternal, std::string("waitpid: ") + std::strerror(errno));
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (program.timeout && elapsed > *program.timeout && !terminated) {
      ::kill(pid, SIGTERM);
      terminated = true;
    }
    if (program.timeout && elapsed > *program.timeout + std::chrono::seconds(5)) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string read_all_stdin() {
  std::string text;
  char buffer[65536];
  while (text.size() < 16 * 1024 * 1024) {
    ssize_t n = ::read(0, buffer, sizeof(buffer));
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR && !g_interrupted.load()) {
      continue;
    } else {
      break;
    }
  }
  return text;
}

}  // namespace pghalo::ctl
