// ReLU: dst = max(src, 0) (NaN propagates). bwd_data: diff_src = diff_dst where dst > 0, else 0.
#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const ReluAttrs&, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* x = args.src[0].as<T>();  // [any]
    T* y = args.dst.as<T>();           // same shape
    const int64_t n = args.dst.numel();
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
  });
}

void bwd_data(const ReluAttrs&, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* y = args.dst.as<T>();
    const T* dy = args.diff_dst.as<T>();
    T* dx = args.diff_src[0].as<T>();
    const int64_t n = args.diff_dst.numel();
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) {  // both loads unconditional, or the loop does not vectorise
      const T out = y[i], grad = dy[i];
      dx[i] = out > T(0) ? grad : T(0);
    }
  });
}

std::size_t scratch_bytes(const ReluAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
