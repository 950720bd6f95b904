// Diagnostics level (0 silent, 1 one CSV line per executed kernel, 2 also kernel-selection reasons).
// A process-wide setting made by the program (the CLI maps EDGETRAIN_VERBOSE onto it); the library
// never reads the environment.
#pragma once

namespace edgetrain {

int verbose_level();
void set_verbose_level(int level);

}  // namespace edgetrain
