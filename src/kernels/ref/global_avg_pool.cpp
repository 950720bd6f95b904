// GlobalAvgPool: src [N, C, H, W] -> dst [N, C, 1, 1] = mean over H x W.
// bwd_data: diff_src[n, c, h, w] = diff_dst[n, c] / (H * W).
#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const GlobalAvgPoolAttrs&, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const Shape& s = p.src[0];
    const int64_t planes = s[0] * s[1], hw = s[2] * s[3];
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
#pragma omp parallel for if (planes * hw > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < planes; ++i) {
      T acc = 0;
      for (int64_t j = 0; j < hw; ++j) acc += x[i * hw + j];
      y[i] = acc / static_cast<T>(hw);
    }
  });
}

void bwd_data(const GlobalAvgPoolAttrs&, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const Shape& s = p.src[0];
    const int64_t planes = s[0] * s[1], hw = s[2] * s[3];
    const T* dy = args.diff_dst.as<T>();
    T* dx = args.diff_src[0].as<T>();
#pragma omp parallel for if (planes * hw > detail::kParallelMin) schedule(static)
    for (int64_t i = 0; i < planes; ++i) {
      const T g = dy[i] / static_cast<T>(hw);
      for (int64_t j = 0; j < hw; ++j) dx[i * hw + j] = g;
    }
  });
}

std::size_t scratch_bytes(const GlobalAvgPoolAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
