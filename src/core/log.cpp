#include "core/log.hpp"

#include <atomic>

namespace edgetrain {

namespace {
std::atomic<int> level{0};
}  // namespace

int verbose_level() { return level.load(std::memory_order_relaxed); }
void set_verbose_level(int l) { level.store(l, std::memory_order_relaxed); }

}  // namespace edgetrain
