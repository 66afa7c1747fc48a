// FenceFile: the fence outlives the agent process that armed it. The fencing thread dies with its
// process, and a primary's agent that systemd restarts arms no fence until its first decision,
// which may block in etcd calls past the old process's deadline; nothing in the new process knew
// that deadline, so PostgreSQL stayed writable after the lease expired (simulator seeds 110,
// 679). The fencing thread records every fence it is given here, and a new process re-arms the
// one its predecessor left before its first etcd call.
//
// The deadline is a CLOCK_MONOTONIC instant (steady_clock), which is system-wide, so it means the
// same in the next process; it is keyed by the boot id, so a reboot (which also took PostgreSQL
// down) discards it. No fsync: the file must survive the process, not the host. Never inside
// PGDATA: pg_basebackup and pg_rewind copy PGDATA between nodes.
//
// Thread-safety: save() from one thread at a time (the fencer serialises it); load() anywhere.
#pragma once

#include <optional>
#include <string>

#include "ha/decision.h"

namespace pghalo::agent {

inline constexpr const char* kBootIdPath = "/proc/sys/kernel/random/boot_id";

// Where a fence is kept between agent processes.
class FenceStore {
 public:
  virtual ~FenceStore() = default;
  // Records the current fence; a disarmed one removes the record. Best effort: a failure is
  // logged, and the fence itself still holds for this process.
  virtual void save(const ha::Fence& fence) = 0;
  // The armed fence an earlier process of this boot recorded, if any (its deadline may be past).
  virtual std::optional<ha::Fence> load() const = 0;
};

class FenceFile final : public FenceStore {
 public:
  explicit FenceFile(std::string path, std::string boot_id_path = kBootIdPath);
  void save(const ha::Fence& fence) override;
  std::optional<ha::Fence> load() const override;
  const std::string& path() const { return path_; }

 private:
  std::string boot_id() const;
  void warn(const std::string& problem);  // logs a problem once, until a save succeeds

  std::string path_;
  std::string boot_id_path_;
  std::string last_problem_;
};

// `pghalo.fence_file` when set, else a file beside the data directory named after it
// (/var/lib/postgresql/15/main -> /var/lib/postgresql/15/main.pghalo-fence).
std::string fence_file_path(const std::string& configured, const std::string& data_dir);

}  // namespace pghalo::agent
