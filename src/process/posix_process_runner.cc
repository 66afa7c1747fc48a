#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/strings.h"
#include "process/process_runner.h"

extern char** environ;

namespace pghalo::process {
namespace {

using SteadyClock = std::chrono::steady_clock;

// After a timeout the group gets SIGTERM, then SIGKILL this much later.
constexpr Duration kKillGrace = std::chrono::seconds(2);
// Without a pidfd we notice the child's exit by polling this often.
constexpr int kFallbackPollMs = 20;

std::string errno_text(int err) { return std::string(std::strerror(err)); }

// An fd closed on scope exit; -1 means none.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe whose fds are >= 3 and close-on-exec, so they can never collide with the child's
// stdin/stdout/stderr even when our own standard streams are closed.
Status make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kInternal, "pipe: " + errno_text(errno));
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i] < 3) {
      int moved = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
      ::close(fds[i]);
      fds[i] = moved;
    }
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  if (fds[0] < 0 || fds[1] < 0) {
    return make_error(ErrorCode::kInternal, "pipe: cannot move fds above stderr");
  }
  return ok_status();
}

std::map<std::string, std::string> build_environment(const ProcessSpec& spec) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view kv(*entry);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& name : spec.unset_env) env.erase(name);
  for (const auto& [name, value] : spec.env) env[name] = value;
  return env;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Resolves argv[0] against the PATH the child will see, so that "not found" is an error of
// run() rather than an exit code 127 that looks like the program's own failure.
Result<std::string> resolve_program(const std::string& name,
                                    const std::map<std::string, std::string>& env) {
  if (name.empty()) return make_error(ErrorCode::kInvalidArgument, "empty argv[0]");
  if (name.find('/') != std::string::npos) {
    if (is_executable_file(name)) return name;
    return make_error(ErrorCode::kNotFound, "program " + name + " is missing or not executable");
  }
  auto path = env.find("PATH");
  std::string search = path != env.end() ? path->second : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& dir : split(search, ':')) {
    std::string candidate = dir + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return make_error(ErrorCode::kNotFound, "program " + name + " not found in PATH");
}

// Keeps only the last `limit` bytes, trimming in batches to stay linear.
class OutputTail {
 public:
  explicit OutputTail(std::size_t limit) : limit_(limit) {}
  void append(const char* data, std::size_t n) {
    if (limit_ == 0) return;
    text_.append(data, n);
    if (text_.size() > 2 * limit_ + 4096) text_.erase(0, text_.size() - limit_);
  }
  std::string take() {
    if (text_.size() > limit_) text_.erase(0, text_.size() - limit_);
    return std::move(text_);
  }

 private:
  std::size_t limit_;
  std::string text_;
};

// Writes to the child's stdin without letting SIGPIPE kill the agent: SIGPIPE is blocked for
// this thread around the write and a pending one is consumed. No process-wide handler changes.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t n) {
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t written = ::write(fd, data, n);
  int saved = errno;
  if (written < 0 && saved == EPIPE) {
    struct timespec zero {};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved;
  return written;
}

struct SpawnedChild {
  pid_t pid = -1;
  Fd stdin_write;
  Fd output_read;
};

Result<SpawnedChild> spawn_child(const ProcessSpec& spec) {
  auto env = build_environment(spec);
  auto program = resolve_program(spec.argv.empty() ? std::string() : spec.argv[0], env);
  if (!program.ok()) return program.error();

  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  SpawnedChild child;
  Fd stdin_read, output_write;
  PGHALO_TRY(make_pipe(stdin_read, child.stdin_write));
  PGHALO_TRY(make_pipe(child.output_read, output_write));

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, stdin_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, output_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, output_write.get(), 2);
  // Descriptors other threads opened without O_CLOEXEC must not leak into the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.working_dir.c_str());
  }
  // Own process group (so a timeout can kill grandchildren too), default signal
  // dispositions and an empty mask whatever the calling thread had.
  sigset_t empty_set, all_set;
  sigemptyset(&empty_set);
  sigfillset(&all_set);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &empty_set);
  posix_spawnattr_setsigdefault(&attr, &all_set);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int rc = posix_spawn(&child.pid, program->c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ErrorCode code = (rc == ENOENT || rc == EACCES) ? ErrorCode::kNotFound : ErrorCode::kInternal;
    return make_error(code, "cannot start " + *program + ": " + errno_text(rc));
  }
  ::fcntl(child.stdin_write.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(child.output_read.get(), F_SETFL, O_NONBLOCK);
  return child;
}

// Drives one child to completion: feeds stdin, collects output, enforces the deadline.
class ChildSupervisor {
 public:
  ChildSupervisor(const ProcessSpec& spec, SpawnedChild& child)
      : spec_(spec), child_(child), tail_(spec.output_tail_bytes) {
    started_ = SteadyClock::now();
    deadline_ = started_ + spec.timeout;
    // Through syscall(): glibc's <sys/pidfd.h> lacks C linkage for C++ callers.
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, child.pid, 0)));
    if (spec_.stdin_data.empty()) child_.stdin_write.reset();
  }

  ProcessResult run() {
    int status = 0;
    while (!reap(&status)) {
      enforce_deadline();
      wait_for_activity();
    }
    drain_output();
    ProcessResult result;
    result.timed_out = timed_out_;
    if (WIFEXITED(status) && !timed_out_) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    result.output = tail_.take();
    result.elapsed = std::chrono::duration_cast<Duration>(SteadyClock::now() - started_);
    return result;
  }

 private:
  // True once the child has exited and been reaped. After a timeout the group is killed while
  // the child is still a zombie, so its pid (= the group id) cannot have been reused.
  bool reap(int* status) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(child_.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return errno == ECHILD;  // someone else reaped it (a foreign SIGCHLD handler): give up
    }
    if (info.si_pid == 0) return false;
    if (timed_out_) ::kill(-child_.pid, SIGKILL);
    return ::waitpid(child_.pid, status, 0) == child_.pid;
  }

  void enforce_deadline() {
    auto now = SteadyClock::now();
    if (!timed_out_ && now >= deadline_) {
      timed_out_ = true;
      ::kill(-child_.pid, SIGTERM);
      kill_at_ = now + kKillGrace;
    } else if (timed_out_ && !killed_ && now >= kill_at_) {
      killed_ = true;
      ::kill(-child_.pid, SIGKILL);
    }
  }

  int poll_timeout_ms() const {
    auto now = SteadyClock::now();
    auto next =
        timed_out_ ? (killed_ ? now + std::chrono::milliseconds(100) : kill_at_) : deadline_;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    ms = std::clamp<long long>(ms, 0, 1000);
    if (pidfd_.get() < 0) ms = std::min<long long>(ms, kFallbackPollMs);
    return static_cast<int>(ms);
  }

  void wait_for_activity() {
    pollfd fds[3];
    nfds_t n = 0;
    if (pidfd_.get() >= 0) fds[n++] = {pidfd_.get(), POLLIN, 0};
    int out_index = -1, in_index = -1;
    if (child_.output_read.get() >= 0) {
      out_index = static_cast<int>(n);
      fds[n++] = {child_.output_read.get(), POLLIN, 0};
    }
    if (child_.stdin_write.get() >= 0) {
      in_index = static_cast<int>(n);
      fds[n++] = {child_.stdin_write.get(), POLLOUT, 0};
    }
    int ready = ::poll(fds, n, poll_timeout_ms());
    if (ready <= 0) return;
    if (out_index >= 0 && fds[out_index].revents) read_output();
    if (in_index >= 0 && fds[in_index].revents) feed_stdin();
  }

  void read_output() {
    char buffer[8192];
    ssize_t n = ::read(child_.output_read.get(), buffer, sizeof buffer);
    if (n > 0) {
      tail_.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      child_.output_read.reset();  // EOF: every writer is gone
    }
  }

  // Once the child has exited, take what is already buffered. A daemonised grandchild may
  // still hold the pipe open, so never wait for EOF here.
  void drain_output() {
    char buffer[8192];
    for (int i = 0; i < 1024 && child_.output_read.get() >= 0; ++i) {
      ssize_t n = ::read(child_.output_read.get(), buffer, sizeof buffer);
      if (n <= 0) break;
      tail_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  void feed_stdin() {
    const std::string& data = spec_.stdin_data;
    ssize_t n = write_without_sigpipe(child_.stdin_write.get(), data.data() + stdin_offset_,
                                      data.size() - stdin_offset_);
    if (n > 0) stdin_offset_ += static_cast<std::size_t>(n);
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || stdin_offset_ >= data.size()) {
      child_.stdin_write.reset();  // all written (or the child closed its stdin): send EOF
    }
  }

  const ProcessSpec& spec_;
  SpawnedChild& child_;
  OutputTail tail_;
  Fd pidfd_;
  SteadyClock::time_point started_, deadline_, kill_at_;
  std::size_t stdin_offset_ = 0;
  bool timed_out_ = false;
  bool killed_ = false;
};

}  // namespace

Result<ProcessResult> PosixProcessRunner::run(const ProcessSpec& spec) {
  auto child = spawn_child(spec);
  if (!child.ok()) return child.error();
  ChildSupervisor supervisor(spec, *child);
  return supervisor.run();
}

}  // namespace pghalo::process
