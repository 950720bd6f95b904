// Shape: dense row-major dimensions (NCHW for images, [N, F] for features).
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace edgetrain {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  const std::vector<int64_t>& dims() const { return dims_; }

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims_) n *= d;
    return n;
  }
  // Product of dims from `first` on (e.g. per-sample size with first = 1).
  int64_t numel_from(int first) const {
    int64_t n = 1;
    for (size_t i = static_cast<size_t>(first); i < dims_.size(); ++i) n *= dims_[i];
    return n;
  }
  Shape with_dim(int i, int64_t v) const {
    Shape s = *this;
    s[i] = v;
    return s;
  }
  bool operator==(const Shape& o) const { return dims_ == o.dims_; }
  bool operator!=(const Shape& o) const { return dims_ != o.dims_; }

  std::string str() const { return fmt::format("[{}]", fmt::join(dims_, "x")); }

 private:
  std::vector<int64_t> dims_;
};

}  // namespace edgetrain
