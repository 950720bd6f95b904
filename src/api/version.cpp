#include "edgetrain/version.hpp"

namespace edgetrain {

const char* version() { return EDGETRAIN_VERSION_STRING; }

}  // namespace edgetrain
