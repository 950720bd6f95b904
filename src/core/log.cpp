#include "core/log.hpp"

#include <cstdlib>

namespace edgetrain {

int verbose_level() {
  static const int level = [] {
    const char* v = std::getenv("EDGETRAIN_VERBOSE");
    return v ? std::atoi(v) : 0;
  }();
  return level;
}

}  // namespace edgetrain
