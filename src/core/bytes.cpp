#include "core/bytes.hpp"

#include <fmt/format.h>

namespace edgetrain {

std::string human_bytes(std::size_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1ull << 20));
  return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024.0);
}

}  // namespace edgetrain
