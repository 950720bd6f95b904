// Verbosity from EDGETRAIN_VERBOSE (0 silent, 1 one CSV line per executed kernel, 2 also
// kernel-selection reasons). Read once; immutable afterwards.
#pragma once

namespace edgetrain {

int verbose_level();

}  // namespace edgetrain
