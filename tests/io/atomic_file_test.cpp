#include "io/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <algorithm>
#include <filesystem>
#include <functional>

#include "edgetrain/error.hpp"
#include "test_dir.hpp"

namespace edgetrain::io {
namespace {

using testing::contains;
using testing::error_of;
using testing::TempDir;

TEST(AtomicFile, WriteThenReadRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("a.bin");
  std::string bytes = "hello";
  bytes.push_back('\0');
  bytes += "world";
  write_file_atomic(path, bytes);
  EXPECT_EQ(read_file(path), bytes);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.bin"});
}

TEST(AtomicFile, EmptyFile) {
  TempDir dir;
  write_file_atomic(dir.file("e"), "");
  EXPECT_EQ(read_file(dir.file("e")), "");
}

TEST(AtomicFile, LargeFile) {
  TempDir dir;
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4097) big[i] = static_cast<char>(i);
  write_file_atomic(dir.file("big"), big);
  EXPECT_EQ(read_file(dir.file("big")), big);
}

TEST(AtomicFile, OverwriteReplacesAndLeavesNoTemp) {
  TempDir dir;
  const std::string path = dir.file("ckpt");
  write_file_atomic(path, "old contents that are longer");
  write_file_atomic(path, "new");
  EXPECT_EQ(read_file(path), "new");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"ckpt"});
}

TEST(AtomicFile, RelativePathInCurrentDir) {
  TempDir dir;
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  write_file_atomic("rel.txt", "r");
  std::filesystem::current_path(cwd);
  EXPECT_EQ(read_file(dir.file("rel.txt")), "r");
}

TEST(AtomicFile, MissingDirectoryThrowsAndLeavesNothing) {
  TempDir dir;
  const std::string path = dir.file("no_such_dir/x.bin");
  const std::string msg = error_of([&] { write_file_atomic(path, "data"); });
  EXPECT_PRED2(contains, msg, path);
  EXPECT_PRED2(contains, msg, "No such file or directory");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, TargetIsDirectoryThrowsAndLeavesNoTemp) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("sub"));
  std::filesystem::create_directory(dir.file("sub/inner"));  // non-empty: rename must fail
  const std::string msg = error_of([&] { write_file_atomic(dir.file("sub"), "data"); });
  EXPECT_PRED2(contains, msg, dir.file("sub"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sub"});
}

TEST(AtomicFile, FailedWriteLeavesOldFileIntact_FileSizeLimit) {
  // Works as root too: RLIMIT_FSIZE makes write() fail with EFBIG mid-file.
  TempDir dir;
  const std::string path = dir.file("keep.bin");
  write_file_atomic(path, "original");

  rlimit old_lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_lim), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit lim = old_lim;
  lim.rlim_cur = 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  const std::string msg = error_of([&] { write_file_atomic(path, std::string(64 * 1024, 'z')); });
  ::setrlimit(RLIMIT_FSIZE, &old_lim);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_PRED2(contains, msg, path);
  EXPECT_PRED2(contains, msg, "too large");  // strerror(EFBIG)
  EXPECT_EQ(read_file(path), "original");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.bin"});
}

TEST(AtomicFile, FailedWriteLeavesOldFileIntact_ReadOnlyDir) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  const std::string path = dir.file("keep.bin");
  write_file_atomic(path, "original");
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read |
                                               std::filesystem::perms::owner_exec);
  const std::string msg = error_of([&] { write_file_atomic(path, "replacement"); });
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
  EXPECT_PRED2(contains, msg, path);
  EXPECT_PRED2(contains, msg, "Permission denied");
  EXPECT_EQ(read_file(path), "original");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"keep.bin"});
}

TEST(AtomicFile, ReadMissingNamesPath) {
  TempDir dir;
  const std::string path = dir.file("absent.bin");
  const std::string msg = error_of([&] { (void)read_file(path); });
  EXPECT_PRED2(contains, msg, path);
  EXPECT_PRED2(contains, msg, "No such file");
}

TEST(AtomicFile, ReadDirectoryThrows) {
  TempDir dir;
  EXPECT_PRED2(contains, error_of([&] { (void)read_file(dir.path()); }), "directory");
}

TEST(AtomicFile, EmptyPathThrows) {
  EXPECT_THROW(write_file_atomic("", "x"), Error);
}

}  // namespace
}  // namespace edgetrain::io
