// Diagnostics: the library prints nothing unless asked. Level 1 writes one CSV line per executed step
// to stderr (exec,op,pass,impl,dtype,problem,ms,...), level 2 also each kernel choice's reasons.
#pragma once
#include "edgetrain/export.hpp"

namespace edgetrain {

EDGETRAIN_API void set_log_level(int level);  // 0 (default): silent
EDGETRAIN_API int log_level();                // the current level

}  // namespace edgetrain
