// TensorView: a non-owning, dense, row-major view {data, shape, dtype}. Cheap to copy.
#pragma once
#include "core/check.hpp"
#include "core/dtype.hpp"
#include "core/shape.hpp"

namespace edgetrain {

struct TensorView {
  void* data = nullptr;
  Shape shape;
  DType dtype = DType::f32;

  TensorView() = default;
  TensorView(void* d, Shape s, DType t) : data(d), shape(std::move(s)), dtype(t) {}

  explicit operator bool() const { return data != nullptr; }
  int64_t numel() const { return shape.numel(); }
  std::size_t bytes() const { return storage_bytes(static_cast<std::size_t>(numel()), dtype); }  // with a fixed-point scale

  template <class T> T* as() const {
    ET_ASSERT(data == nullptr || dtype == dtype_of<T>());
    return static_cast<T*>(data);
  }
};

}  // namespace edgetrain
