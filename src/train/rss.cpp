#include "train/rss.hpp"

#include <malloc.h>

#include <cstdio>
#include <cstring>

namespace edgetrain {

namespace {
std::size_t status_kib(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  std::size_t kib = 0;
  const std::size_t len = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, len) == 0) {
      std::sscanf(line + len, " %zu", &kib);
      break;
    }
  }
  std::fclose(f);
  return kib * 1024;
}
}  // namespace

std::size_t current_rss_bytes() { return status_kib("VmRSS:"); }
std::size_t peak_rss_bytes() { return status_kib("VmHWM:"); }

bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  bool ok = std::fputs("5", f) >= 0;
  return (std::fclose(f) == 0) && ok;
}

void release_free_heap() { malloc_trim(0); }

}  // namespace edgetrain
