#include "data/file_read.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/check.hpp"

namespace edgetrain::data {

std::vector<uint8_t> read_maybe_gz_file(const std::string& path) {
  errno = 0;
  gzFile f = gzopen(path.c_str(), "rb");
  ET_REQUIRE(f != nullptr, "{}: cannot open ({}); check the path", path,
             errno != 0 ? std::strerror(errno) : "out of memory");
  std::vector<uint8_t> bytes;
  constexpr unsigned kChunk = 1u << 20;
  for (;;) {
    size_t old = bytes.size();
    bytes.resize(old + kChunk);
    int got = gzread(f, bytes.data() + old, kChunk);
    if (got < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      fail("{}: read error ({}); the file is corrupt or truncated, download it again", path, msg);
    }
    bytes.resize(old + static_cast<size_t>(got));
    if (got == 0) break;
  }
  int code = 0;
  const char* msg = gzerror(f, &code);
  std::string err = (code != Z_OK && code != Z_STREAM_END && msg) ? msg : "";
  gzclose(f);
  ET_REQUIRE(err.empty(), "{}: read error ({}); the file is corrupt or truncated, download it again",
             path, err);
  return bytes;
}

std::vector<uint8_t> read_binary_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  ET_REQUIRE(in.good(), "{}: cannot open ({}); check the path", path, std::strerror(errno));
  std::streamoff n = in.tellg();
  ET_REQUIRE(n >= 0, "{}: cannot determine the file size", path);
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), n);
  ET_REQUIRE(in.gcount() == n, "{}: read {} of {} bytes; the file changed or is unreadable", path,
             static_cast<int64_t>(in.gcount()), static_cast<int64_t>(n));
  return bytes;
}

std::vector<std::string> read_nonempty_lines(const std::string& path) {
  std::ifstream in(path);
  ET_REQUIRE(in.good(), "{}: cannot open ({}); check the path", path, std::strerror(errno));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    const char* ws = " \t\r\n";
    size_t b = line.find_first_not_of(ws);
    if (b == std::string::npos) continue;
    size_t e = line.find_last_not_of(ws);
    lines.push_back(line.substr(b, e - b + 1));
  }
  return lines;
}

}  // namespace edgetrain::data
