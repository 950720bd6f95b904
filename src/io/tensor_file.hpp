// Tensor container files ("ETT"): named f32 / i32 / i64 tensors, for reference data exchanged with
// Python (scripts/ettensors.py writes and reads the same format) and for `edgetrain eval --dump`.
//
// Layout (little-endian): magic "ETTENS01", u32 count, then per tensor
//   { u32 name length, name, u32 dtype (0 f32, 1 i32, 2 i64), u32 rank, i64 dims[rank], data }.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"

namespace edgetrain::io {

struct TensorRecord {
  std::string name;
  DType dtype = DType::f32;  // f32 or i32 (the format's i64 code is rejected)
  Shape shape;
  std::vector<unsigned char> bytes;  // shape.numel() elements of dtype, row-major

  template <class T> const T* as() const { return reinterpret_cast<const T*>(bytes.data()); }
  std::vector<float> floats() const;  // f32 only (throws otherwise)
};

TensorRecord make_record(std::string name, const Shape& shape, const float* data);
TensorRecord make_record(std::string name, const Shape& shape, const int32_t* data);

// Written through write_file_atomic.
void write_tensor_file(const std::string& path, const std::vector<TensorRecord>& tensors);
// Throws Error naming the path on a missing, truncated or malformed file.
std::vector<TensorRecord> read_tensor_file(const std::string& path);
// The same on a tensor file's bytes in memory; `path` only names it in messages.
std::vector<TensorRecord> parse_tensor_file(std::string_view bytes, const std::string& path);
const TensorRecord* find_record(const std::vector<TensorRecord>& tensors, const std::string& name);

}  // namespace edgetrain::io
