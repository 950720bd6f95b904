// ONNX TensorProto <-> host values, for import (initializers, Constant nodes, folded shape chains)
// and export (parameters and state as initializers).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/shape.hpp"

namespace edgetrain::io::onnx_detail {

// A constant known at import time: float data (weights, scalars) or integer data (shapes, axes).
struct Constant {
  std::vector<int64_t> dims;
  bool is_float = true;
  std::vector<float> f;    // when is_float
  std::vector<int64_t> i;  // otherwise (int64, int32, bool, ...)

  int64_t numel() const;
  double scalar(const std::string& where) const;        // the single element, as a double
  std::vector<int64_t> ints(const std::string& where) const;  // integer data (or integral floats)
  static Constant of_ints(std::vector<int64_t> values);  // rank 1
};

// Throws Error naming `where` for external data or element types a CNN initializer never has.
Constant decode_tensor(const onnx::TensorProto& t, const std::string& where);
void encode_tensor(onnx::TensorProto& t, const std::string& name, const Shape& shape, const float* data);
void encode_ints(onnx::TensorProto& t, const std::string& name, const std::vector<int64_t>& values);  // rank 1, int64

}  // namespace edgetrain::io::onnx_detail
