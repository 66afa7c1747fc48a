#include "pg/data_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace pghalo::pg {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("pghalo-datadir-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void touch(const fs::path& path, const std::string& content = "") {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
  }
  static mode_t mode_of(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
  }
  fs::path root_;
};

TEST_F(DataDirTest, ClassifiesMissingEmptyValidAndInvalidDirectories) {
  fs::path dir = root_ / "data";
  EXPECT_EQ(data_dir_state(dir.string()), model::DataDirState::kEmpty);
  fs::create_directories(dir);
  EXPECT_EQ(data_dir_state(dir.string()), model::DataDirState::kEmpty);
  touch(dir / "PG_VERSION", "15\n");
  EXPECT_EQ(data_dir_state(dir.string()), model::DataDirState::kInvalid);
  touch(dir / "global" / "pg_control");
  EXPECT_EQ(data_dir_state(dir.string()), model::DataDirState::kValid);
  touch(root_ / "file");
  EXPECT_EQ(data_dir_state((root_ / "file").string()), model::DataDirState::kInvalid);
}

TEST_F(DataDirTest, ReadsTheMajorVersionOrSaysWhatIsWrong) {
  touch(root_ / "PG_VERSION", "15\n");
  EXPECT_EQ(read_major_version(root_.string()).value_or(0), 15);
  touch(root_ / "PG_VERSION", "garbage");
  auto bad = read_major_version(root_.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("garbage"), std::string::npos);
  fs::remove(root_ / "PG_VERSION");
  EXPECT_EQ(read_major_version(root_.string()).error().code, ErrorCode::kNotFound);
}

TEST_F(DataDirTest, WritesFilesAtomicallyWithTheExactMode) {
  ::umask(022);
  fs::path file = root_ / "pgpass";
  ASSERT_TRUE(write_file_atomically(file.string(), "first", 0600).ok());
  ASSERT_TRUE(write_file_atomically(file.string(), "second", 0600).ok());
  EXPECT_EQ(read_text_file(file.string()).value_or(""), "second");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_FALSE(fs::exists(file.string() + ".pghalo-tmp"));
}

TEST_F(DataDirTest, ReadsTheTailWrittenAfterAnOffset) {
  fs::path log = root_ / "server.log";
  touch(log, "old line\n");
  auto offset = file_size_or_zero(log.string());
  std::ofstream(log, std::ios::app) << "FATAL: bad config\n";
  EXPECT_EQ(read_file_tail(log.string(), offset, 1000), "FATAL: bad config\n");
  EXPECT_EQ(read_file_tail(log.string(), offset, 6), "onfig\n");
  EXPECT_EQ(read_file_tail((root_ / "missing").string(), 0, 10), "");
}

TEST_F(DataDirTest, RemovesADataDirectoryAndTheTargetOfItsPgWalLink) {
  fs::path data = root_ / "data";
  fs::path wal = root_ / "wal";
  touch(data / "base" / "1");
  touch(wal / "000000010000000000000001");
  fs::create_directory_symlink(wal, data / "pg_wal");
  ASSERT_TRUE(remove_data_directory_at(data.string()).ok());
  EXPECT_FALSE(fs::exists(data));
  EXPECT_TRUE(fs::exists(wal));
  EXPECT_TRUE(fs::is_empty(wal));
  EXPECT_TRUE(remove_data_directory_at(data.string()).ok());  // already gone is fine
}

TEST_F(DataDirTest, SecretFilesArePrivateAndVanish) {
  std::string path;
  {
    auto secret = SecretFile::create(root_.string(), "hunter2\n");
    ASSERT_TRUE(secret.ok());
    path = secret->path();
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(read_text_file(path).value_or(""), "hunter2\n");
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(SecretFile::create((root_ / "missing").string(), "x").ok());
}

TEST_F(DataDirTest, EnsureDirectorySetsTheMode) {
  fs::path dir = root_ / "a" / "b";
  ASSERT_TRUE(ensure_directory(dir.string(), 0700).ok());
  EXPECT_EQ(mode_of(dir), 0700u);
}

}  // namespace
}  // namespace pghalo::pg
