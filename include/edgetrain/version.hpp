// The library's version.
#pragma once
#include "edgetrain/export.hpp"

namespace edgetrain {

// "MAJOR.MINOR.PATCH" of the linked library (the installed package's version is in
// edgetrainConfigVersion.cmake and edgetrain.pc).
EDGETRAIN_API const char* version();

}  // namespace edgetrain
