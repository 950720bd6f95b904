// The library's version.
#pragma once
#include "edgetrain/export.hpp"

namespace edgetrain {

// "MAJOR.MINOR.PATCH" of the linked library (compare with the headers' EDGETRAIN_VERSION_* if needed).
EDGETRAIN_API const char* version();

}  // namespace edgetrain
