#include "pg/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/strings.h"

namespace fs = std::filesystem;

namespace pghalo::pg {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorCode::kInternal, what + " " + path + ": " + std::strerror(err));
}

Status write_all(int fd, const std::string& content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write", path, errno);
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Status clear_directory_contents(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    fs::remove_all(entry.path(), ec);
    if (ec)
      return make_error(ErrorCode::kInternal,
                        "cannot remove " + entry.path().string() + ": " + ec.message());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return make_error(ErrorCode::kInternal, "cannot list " + dir.string() + ": " + ec.message());
  }
  return ok_status();
}

}  // namespace

model::DataDirState data_dir_state(const std::string& data_dir) {
  std::error_code ec;
  if (!fs::exists(data_dir, ec)) return model::DataDirState::kEmpty;
  if (!fs::is_directory(data_dir, ec)) return model::DataDirState::kInvalid;
  if (fs::is_empty(data_dir, ec) && !ec) return model::DataDirState::kEmpty;
  if (fs::is_regular_file(fs::path(data_dir) / "PG_VERSION", ec) &&
      fs::is_regular_file(fs::path(data_dir) / "global" / "pg_control", ec)) {
    return model::DataDirState::kValid;
  }
  return model::DataDirState::kInvalid;
}

Result<int> read_major_version(const std::string& data_dir) {
  std::string path = data_dir + "/PG_VERSION";
  auto text = read_text_file(path, 64);
  if (!text.ok()) return text.error();
  auto major = parse_int64(trim(*text));
  if (!major || *major < 9 || *major > 99) {
    return make_error(ErrorCode::kInvalidArgument, path + " does not hold a major version: \"" +
                                                       std::string(trim(*text)) + "\"");
  }
  return static_cast<int>(*major);
}

Result<std::string> read_text_file(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return make_error(ErrorCode::kNotFound, path + " does not exist");
    return io_error("cannot read", path, err);
  }
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::uintmax_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

std::string read_file_tail(const std::string& path, std::uintmax_t from, std::size_t max_bytes) {
  std::uintmax_t size = file_size_or_zero(path);
  if (size <= from) return {};
  std::uintmax_t start = std::max<std::uintmax_t>(from, size > max_bytes ? size - max_bytes : 0);
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode) {
  std::string temp = path + ".pghalo-tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return io_error("cannot create", temp, errno);
  ::fchmod(fd, mode);  // O_CREAT honours the umask; the mode must be exact (pgpass: 0600)
  Status written = write_all(fd, content, temp);
  if (written.ok() && ::fsync(fd) != 0) written = io_error("cannot fsync", temp, errno);
  ::close(fd);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = io_error("cannot rename over", path, errno);
  }
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  fsync_directory(fs::path(path).parent_path().string());
  return ok_status();
}

Status ensure_directory(const std::string& path, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot create " + path + ": " + ec.message());
  if (::chmod(path.c_str(), mode) != 0) return io_error("cannot chmod", path, errno);
  return ok_status();
}

Status remove_data_directory_at(const std::string& data_dir) {
  std::error_code ec;
  fs::path dir(data_dir);
  if (!fs::exists(fs::symlink_status(dir, ec))) return ok_status();
  fs::path wal = dir / "pg_wal";
  if (fs::is_symlink(wal, ec)) {
    auto target = fs::read_symlink(wal, ec);
    if (!ec) {
      if (target.is_relative()) target = dir / target;
      PGHALO_TRY(clear_directory_contents(target));
    }
  }
  if (fs::is_symlink(dir, ec)) return clear_directory_contents(dir);
  fs::remove_all(dir, ec);
  if (ec)
    return make_error(ErrorCode::kInternal, "cannot remove " + data_dir + ": " + ec.message());
  return ok_status();
}

Result<SecretFile> SecretFile::create(const std::string& directory, const std::string& content) {
  std::string pattern =
      (directory.empty() ? std::string("/tmp") : directory) + "/.pghalo-secret-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);  // mode 0600, O_EXCL
  if (fd < 0) return io_error("cannot create a secret file in", directory, errno);
  SecretFile file(std::string(name.data()));
  Status written = write_all(fd, content, file.path_);
  ::close(fd);
  if (!written.ok()) return written.error();
  return file;
}

SecretFile::~SecretFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace pghalo::pg
