#include "kernels/ref/elementwise.hpp"

#include "core/bf16.hpp"
#include "core/fixed_point.hpp"
#include "kernels/ref/common.hpp"

namespace edgetrain::ref {

void add_into(const TensorView& dst, const TensorView& src, uint64_t seed) {
  ET_ASSERT(dst.numel() == src.numel() && dst.dtype == src.dtype);
  if (is_fixed_point(dst.dtype))
    return edgetrain::add_into(dst.data, src.data, static_cast<std::size_t>(dst.numel()), dst.dtype, seed);
  if (dst.dtype == DType::bf16) return edgetrain::add_into(dst.as<bf16>(), src.as<bf16>(), dst.bytes() / 2);
  detail::dispatch(dst.dtype, [&]<class T>() {
    T* d = dst.as<T>();
    const T* s = src.as<T>();
    const int64_t n = dst.numel();
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) d[i] += s[i];
  });
}

}  // namespace edgetrain::ref
