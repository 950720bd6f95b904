#include "io/atomic_file.hpp"

#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/check.hpp"

namespace edgetrain::io {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Directory part of `path` ("." when there is none), used for the temp file and the dir fsync.
std::string dir_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes the fd and unlinks the temp file unless released (after a successful rename).
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes explicitly so close() errors (e.g. delayed write errors on NFS) are reported.
  int close_fd() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { released_ = true; }

 private:
  int fd_;
  std::string path_;
  bool released_ = false;
};

TempFile create_temp(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string tmp = fmt::format("{}.tmp.{}.{}.{:08x}", path, ::getpid(), counter++, rd());
    // 0666 & ~umask, like an ordinary newly created file.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return TempFile(fd, tmp);
    const int err = errno;
    if (err == EEXIST) continue;
    fail("cannot write '{}': creating temp file in '{}' failed: {} (check that the directory "
         "exists and is writable)",
         path, dir_of(path), errno_text(err));
  }
  fail("cannot write '{}': could not create a unique temp file in '{}'", path, dir_of(path));
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  ET_REQUIRE(!path.empty(), "cannot write file: empty path (give a file name)");
  TempFile tmp = create_temp(path);

  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(tmp.fd(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write '{}': writing {} bytes failed: {} (check free disk space and quotas)", path,
           bytes.size(), errno_text(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(tmp.fd()) != 0)
    fail("cannot write '{}': fsync failed: {} (check the storage device)", path, errno_text(errno));
  if (tmp.close_fd() != 0)
    fail("cannot write '{}': close failed: {} (check the storage device)", path, errno_text(errno));
  if (::rename(tmp.path().c_str(), path.c_str()) != 0)
    fail("cannot write '{}': renaming the temp file over it failed: {} (is '{}' a directory, or the "
         "directory not writable?)",
         path, errno_text(errno), path);
  tmp.release();  // the temp name no longer exists; it is `path` now

  // Make the rename itself durable.
  const std::string dir = dir_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    fail("wrote '{}' but could not open its directory '{}' to fsync it: {}", path, dir,
         errno_text(errno));
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  // Some file systems do not support fsync on directories (EINVAL); nothing more can be done there.
  if (rc != 0 && err != EINVAL)
    fail("wrote '{}' but fsync of its directory '{}' failed: {}", path, dir, errno_text(err));
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail("cannot read '{}': {} (check the path and permissions)", path, errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0)
    fail("cannot read '{}': {} (check the path and permissions)", path, errno_text(errno));
  ET_REQUIRE(!S_ISDIR(st.st_mode), "cannot read '{}': it is a directory (give a file path)", path);

  std::string out;
  if (S_ISREG(st.st_mode) && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot read '{}': {} (check the storage device)", path, errno_text(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void check_writable(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  ET_REQUIRE(std::filesystem::is_directory(dir, ec), "cannot write '{}': directory '{}' does not exist", path,
             dir.string());
  ET_REQUIRE(::access(dir.c_str(), W_OK) == 0, "cannot write '{}': directory '{}' is not writable", path, dir.string());
}

}  // namespace edgetrain::io
