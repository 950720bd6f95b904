// MaxPool2d: src [N, C, H, W] -> dst [N, C, OH, OW] (OH, OW from op_def::pooled_size, incl. ceil_mode).
// Padding acts as -inf: a window's maximum is taken over its in-bounds part. NaN wins (as in PyTorch).
// Training fwd writes aux[0] (i32, dst shape) = h * W + w of the maximum within the input plane, the first
// in row-major window order on ties. bwd_data zeroes diff_src and scatters diff_dst to those indices.
#include <cmath>
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {

void fwd(const MaxPoolAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t planes = p.src[0][0] * p.src[0][1], H = p.src[0][2], W = p.src[0][3];
    const int64_t OH = p.dst[2], OW = p.dst[3];
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
    int32_t* idx = detail::present(args.aux, 0) ? args.aux[0].as<int32_t>() : nullptr;
#pragma omp parallel for if (planes * H * W > detail::kParallelMin) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T* xp = x + pl * H * W;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = std::max<int64_t>(oh * a.stride_h - a.pad_h, 0);
        const int64_t h1 = std::min<int64_t>(oh * a.stride_h - a.pad_h + a.kernel_h, H);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = std::max<int64_t>(ow * a.stride_w - a.pad_w, 0);
          const int64_t w1 = std::min<int64_t>(ow * a.stride_w - a.pad_w + a.kernel_w, W);
          int64_t best = h0 * W + w0;
          T best_v = xp[best];
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) {
              const T v = xp[h * W + w];
              if (v > best_v || (std::isnan(v) && !std::isnan(best_v))) {
                best_v = v;
                best = h * W + w;
              }
            }
          const int64_t o = pl * OH * OW + oh * OW + ow;
          y[o] = best_v;
          if (idx) idx[o] = static_cast<int32_t>(best);
        }
      }
    }
  });
}

void bwd_data(const MaxPoolAttrs&, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  ET_ASSERT(detail::present(args.aux, 0));
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t planes = p.src[0][0] * p.src[0][1], HW = p.src[0][2] * p.src[0][3];
    const int64_t OHW = p.dst[2] * p.dst[3];
    const T* dy = args.diff_dst.as<T>();
    const int32_t* idx = args.aux[0].as<int32_t>();
    T* dx = args.diff_src[0].as<T>();
#pragma omp parallel for if (planes * HW > detail::kParallelMin) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      T* dxp = dx + pl * HW;
      std::memset(dxp, 0, static_cast<std::size_t>(HW) * sizeof(T));
      for (int64_t o = 0; o < OHW; ++o) dxp[idx[pl * OHW + o]] += dy[pl * OHW + o];
    }
  });
}

std::size_t scratch_bytes(const MaxPoolAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
