// File-system helpers for a PostgreSQL data directory: its state, atomic rewrites of the files
// pghalo owns, secrets in short-lived 0600 files, removal that follows the pg_wal symlink.
//
// Not here: anything PostgreSQL-specific beyond file names; no processes. Thread-safe (no
// shared state); concurrent writers of one path must be serialised by the caller.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.h"
#include "model/postgres.h"

namespace pghalo::pg {

// kEmpty: missing or no entries; kValid: PG_VERSION and global/pg_control; else kInvalid.
model::DataDirState data_dir_state(const std::string& data_dir);

// PG_VERSION as a major version number ("15" -> 15). Errors name the file and its content.
Result<int> read_major_version(const std::string& data_dir);

// At most `limit` bytes from the start of the file; kNotFound when it does not exist.
Result<std::string> read_text_file(const std::string& path, std::size_t limit = 1 << 20);

// The last `max_bytes` of the file after byte `from` (for "what did the server log since we
// started it"); empty when unreadable.
std::string read_file_tail(const std::string& path, std::uintmax_t from, std::size_t max_bytes);

std::uintmax_t file_size_or_zero(const std::string& path);

// Writes a sibling temp file with `mode`, fsyncs it and renames it over `path`: readers see
// the old or the new content, never half of it.
Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode);

// Creates `path` (and parents) when missing and sets `mode` on it.
Status ensure_directory(const std::string& path, mode_t mode);

// Removes the data directory. When it or its pg_wal is a symlink, the link targets' contents go
// too (and the directories themselves stay), as an operator expects after a reinit.
Status remove_data_directory_at(const std::string& data_dir);

// A 0600 file holding a secret (a --pwfile, an operation's pgpass) that is removed when this
// object dies. Created with O_EXCL under `directory`.
class SecretFile {
 public:
  static Result<SecretFile> create(const std::string& directory, const std::string& content);
  SecretFile(SecretFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  SecretFile(const SecretFile&) = delete;
  SecretFile& operator=(const SecretFile&) = delete;
  ~SecretFile();
  const std::string& path() const { return path_; }

 private:
  explicit SecretFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace pghalo::pg
