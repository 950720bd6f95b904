// Device profiles on disk: read with a clear error, written atomically.
#pragma once
#include <string>

#include "predict/device_profile.hpp"

namespace edgetrain::io {

predict::DeviceProfile load_profile_file(const std::string& path);
void save_profile_file(const std::string& path, const predict::DeviceProfile& profile);

}  // namespace edgetrain::io
