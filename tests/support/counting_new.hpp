// Counts every global operator new of the binary it is linked into (support/counting_new.cpp
// replaces the allocation functions). For tests that assert what a step allocates; not for ASan builds.
#pragma once
#include <atomic>

namespace edgetrain::test {

long allocations_so_far();

}  // namespace edgetrain::test
