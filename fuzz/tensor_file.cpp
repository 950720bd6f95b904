// Tensor container files ("ETT", the format of `edgetrain eval --dump` and scripts/ettensors.py) from bytes.
#include <string_view>

#include "fuzz/fuzz_target.hpp"
#include "io/tensor_file.hpp"

namespace edgetrain::fuzz {

void fuzz_one(const uint8_t* data, size_t size) {
  const auto records = io::parse_tensor_file(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.ett");
  for (const auto& r : records)
    if (r.dtype == DType::f32) (void)r.floats();
  if (!records.empty()) (void)io::find_record(records, records.back().name);
}

}  // namespace edgetrain::fuzz
