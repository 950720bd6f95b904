// Byte counts for people: "512.0 KiB", "20.1 MiB", "1.65 GiB".
#pragma once
#include <cstddef>
#include <string>

namespace edgetrain {

std::string human_bytes(std::size_t bytes);

}  // namespace edgetrain
