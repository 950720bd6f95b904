// Add: dst = src0 + src1 (same shapes). bwd_data: each non-empty diff_src = diff_dst.
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const AddAttrs&, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* a = args.src[0].as<T>();
    const T* b = args.src[1].as<T>();
    T* y = args.dst.as<T>();
    const int64_t n = args.dst.numel();
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
  });
}

void bwd_data(const AddAttrs&, const OpDesc&, const KernelArgs& args) {
  for (size_t i = 0; i < 2; ++i)
    if (detail::present(args.diff_src, i) && args.diff_src[i].data != args.diff_dst.data)
      std::memcpy(args.diff_src[i].data, args.diff_dst.data, args.diff_dst.bytes());
}

std::size_t scratch_bytes(const AddAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
