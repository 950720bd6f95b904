// edgetrain::Error — the one exception type for user and input errors.
// The message says what was wrong, where, and how to fix it; the CLI prints it on one line.
#pragma once
#include <stdexcept>
#include <string>

#include "edgetrain/export.hpp"

namespace edgetrain {

// Thrown by every API call on bad input: missing or corrupt files, wrong shapes, impossible budgets,
// unsupported operators, invalid options. Never thrown by a training or inference step past its input check.
class EDGETRAIN_API Error : public std::runtime_error {
 public:
  // An error with a one-line message (what, where, how to fix it).
  explicit Error(const std::string& what);
  // Out of line: the type's identity lives in the library, so a catch in the program matches it.
  ~Error() override;
};

}  // namespace edgetrain
