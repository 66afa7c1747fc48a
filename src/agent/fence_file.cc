#include "agent/fence_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/log.h"

namespace pghalo::agent {
namespace {

constexpr const char* kMagic = "pghalo-fence-v1";

bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

FenceFile::FenceFile(std::string path, std::string boot_id_path)
    : path_(std::move(path)), boot_id_path_(std::move(boot_id_path)) {}

std::string FenceFile::boot_id() const {
  std::ifstream in(boot_id_path_);
  std::string id;
  in >> id;
  return id;
}

void FenceFile::warn(const std::string& problem) {
  if (problem == last_problem_) return;  // once, not every cycle
  last_problem_ = problem;
  log::warn("fence_file", problem + "; a restarted agent will not know this fence");
}

void FenceFile::save(const ha::Fence& fence) {
  if (!fence.armed) {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
      warn("cannot remove " + path_ + ": " + std::strerror(errno));
    }
    return;
  }
  std::string id = boot_id();
  if (id.empty()) {
    warn("cannot read the boot id from " + boot_id_path_);
    return;
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(fence.writable_until.time_since_epoch()).count();
  std::string content = std::string(kMagic) + " " + id + " " + std::to_string(ns) + "\n";
  // Written aside and renamed over: a process killed mid-write leaves the old record or the new.
  std::string temp = path_ + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && write_all(fd, content);
  int err = errno;
  if (fd >= 0) ::close(fd);
  if (written && ::rename(temp.c_str(), path_.c_str()) == 0) {
    last_problem_.clear();
    return;
  }
  if (written) err = errno;
  ::unlink(temp.c_str());
  warn("cannot record the fence in " + path_ + ": " + std::strerror(err));
}

std::optional<ha::Fence> FenceFile::load() const {
  std::ifstream in(path_);
  if (!in) return std::nullopt;
  std::string magic, id;
  long long ns = 0;
  if (!(in >> magic >> id >> ns) || magic != kMagic) {
    log::warn("fence_file", path_ + " is not a fence record; ignoring it");
    return std::nullopt;
  }
  if (id != boot_id()) return std::nullopt;  // another boot: its PostgreSQL died with it
  return ha::Fence::until(MonoTime(std::chrono::duration_cast<MonoTime::duration>(std::chrono::nanoseconds(ns))));
}

std::string fence_file_path(const std::string& configured, const std::string& data_dir) {
  if (!configured.empty()) return configured;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".pghalo-fence";
}

}  // namespace pghalo::agent
