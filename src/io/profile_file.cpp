#include "io/profile_file.hpp"

#include <filesystem>

#include "core/check.hpp"
#include "io/atomic_file.hpp"

namespace edgetrain::io {

predict::DeviceProfile load_profile_file(const std::string& path) {
  ET_REQUIRE(std::filesystem::exists(path), "{}: no device profile there (make one with `edgetrain calibrate -o {}`)",
             path, path);
  const nlohmann::json j = nlohmann::json::parse(io::read_file(path), nullptr, false);
  ET_REQUIRE(!j.is_discarded(), "{}: not a device profile (not JSON); rerun `edgetrain calibrate`", path);
  return predict::profile_from_json(j, path);
}

void save_profile_file(const std::string& path, const predict::DeviceProfile& profile) {
  io::write_file_atomic(path, predict::profile_to_json(profile).dump());
}

}  // namespace edgetrain::io
