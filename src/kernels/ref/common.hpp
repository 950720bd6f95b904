// Helpers shared by the reference kernels and the native backend's loops (internal to src/kernels).
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/check.hpp"
#include "core/tensor_view.hpp"

namespace edgetrain::ref::detail {

// Calls f.template operator()<T>() with T = float or double according to the problem's element type.
template <class F>
void dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: f.template operator()<float>(); return;
    case DType::f64: f.template operator()<double>(); return;
    default: ET_ASSERT(!"reference kernels support f32 and f64 only");
  }
}

// Elementwise loops run in parallel only when they are big enough to pay for the fork.
constexpr int64_t kParallelMin = 1 << 15;

inline std::size_t align_up(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

// Per-thread scratch slots: the count booked at problem time (omp_get_max_threads()).
inline int scratch_slots() { return std::max(1, omp_get_max_threads()); }

// Threads to use at execution time: no more than the slots the scratch holds, the threads OpenMP
// gives, or the independent work items.
inline int usable_threads(const TensorView& scratch, std::size_t slot_bytes, int64_t items) {
  int64_t slots = slot_bytes == 0 ? scratch_slots() : static_cast<int64_t>(scratch.bytes() / slot_bytes);
  int64_t t = std::min<int64_t>({slots, omp_in_parallel() ? 1 : omp_get_max_threads(), items});
  return static_cast<int>(std::max<int64_t>(t, 1));
}

// Scalar load / store through a view of either float type (aux and state buffers may be f32 while the
// problem is f64).
inline double load(const TensorView& v, int64_t i) {
  return v.dtype == DType::f64 ? static_cast<const double*>(v.data)[i] : static_cast<const float*>(v.data)[i];
}
inline void store(const TensorView& v, int64_t i, double x) {
  if (v.dtype == DType::f64)
    static_cast<double*>(v.data)[i] = x;
  else
    static_cast<float*>(v.data)[i] = static_cast<float>(x);
}

inline bool present(const std::vector<TensorView>& views, size_t i) { return views.size() > i && views[i]; }

}  // namespace edgetrain::ref::detail
