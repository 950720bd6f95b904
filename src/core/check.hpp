// Checks: ET_REQUIRE for user/input errors (throws edgetrain::Error), ET_ASSERT for internal
// invariants (aborts with file:line; never used for things a user can cause).
#pragma once
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "edgetrain/error.hpp"

namespace edgetrain {

template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace edgetrain

#define ET_REQUIRE(cond, ...)                   \
  do {                                          \
    if (!(cond)) ::edgetrain::fail(__VA_ARGS__); \
  } while (0)

#define ET_ASSERT(cond)                                                                  \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "edgetrain internal error: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
