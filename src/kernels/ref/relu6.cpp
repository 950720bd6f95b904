// ReLU6: dst = min(max(src, 0), 6). bwd_data: diff_src = diff_dst where 0 < dst < 6, else 0
// (PyTorch's hardtanh backward: zero gradient at and beyond both bounds).
#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const Relu6Attrs&, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
    const int64_t n = args.dst.numel();
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : (x[i] > T(6) ? T(6) : x[i]);
  });
}

void bwd_data(const Relu6Attrs&, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* y = args.dst.as<T>();
    const T* dy = args.diff_dst.as<T>();
    T* dx = args.diff_src[0].as<T>();
    const int64_t n = args.diff_dst.numel();
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) {  // both loads unconditional, or the loop does not vectorise
      const T out = y[i], grad = dy[i];
      dx[i] = (out > T(0) && out < T(6)) ? grad : T(0);
    }
  });
}

std::size_t scratch_bytes(const Relu6Attrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
