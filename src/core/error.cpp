#include "edgetrain/error.hpp"

namespace edgetrain {

Error::Error(const std::string& what) : std::runtime_error(what) {}
Error::~Error() = default;

}  // namespace edgetrain
