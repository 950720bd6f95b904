#include "edgetrain/log.hpp"

#include "core/log.hpp"

namespace edgetrain {

void set_log_level(int level) { set_verbose_level(level); }
int log_level() { return verbose_level(); }

}  // namespace edgetrain
