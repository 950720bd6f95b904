// edgetrain::Error — the one exception type for user and input errors.
// The message says what was wrong, where, and how to fix it; the CLI prints it on one line.
#pragma once
#include <stdexcept>
#include <string>

namespace edgetrain {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace edgetrain
