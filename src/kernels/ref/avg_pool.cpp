// AvgPool2d: src [N, C, H, W] -> dst [N, C, OH, OW], PyTorch semantics. A window starts at
// o * stride - pad and is clipped to the padded extent [-pad, H + pad) (this matters with ceil_mode);
// count_include_pad divides by that clipped size, otherwise by the in-bounds count. Padding adds zero.
// bwd_data spreads diff_dst / divisor over each window's in-bounds part (diff_src zeroed first).
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

struct Window {
  int64_t h0, h1, w0, w1;  // in-bounds part
  int64_t divisor;
};

inline Window window(const AvgPoolAttrs& a, int64_t H, int64_t W, int64_t oh, int64_t ow) {
  int64_t h0 = oh * a.stride_h - a.pad_h, w0 = ow * a.stride_w - a.pad_w;
  int64_t h1 = std::min<int64_t>(h0 + a.kernel_h, H + a.pad_h);
  int64_t w1 = std::min<int64_t>(w0 + a.kernel_w, W + a.pad_w);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min<int64_t>(h1, H);
  w1 = std::min<int64_t>(w1, W);
  const int64_t inside = (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, a.count_include_pad ? padded : inside};
}

}  // namespace

void fwd(const AvgPoolAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t planes = p.src[0][0] * p.src[0][1], H = p.src[0][2], W = p.src[0][3];
    const int64_t OH = p.dst[2], OW = p.dst[3];
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
#pragma omp parallel for if (planes * H * W > detail::kParallelMin) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T* xp = x + pl * H * W;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const Window win = window(a, H, W, oh, ow);
          T acc = 0;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) acc += xp[h * W + w];
          y[pl * OH * OW + oh * OW + ow] = win.divisor > 0 ? acc / static_cast<T>(win.divisor) : T(0);
        }
    }
  });
}

void bwd_data(const AvgPoolAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t planes = p.src[0][0] * p.src[0][1], H = p.src[0][2], W = p.src[0][3];
    const int64_t OH = p.dst[2], OW = p.dst[3];
    const T* dy = args.diff_dst.as<T>();
    T* dx = args.diff_src[0].as<T>();
#pragma omp parallel for if (planes * H * W > detail::kParallelMin) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      T* dxp = dx + pl * H * W;
      std::memset(dxp, 0, static_cast<std::size_t>(H * W) * sizeof(T));
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const Window win = window(a, H, W, oh, ow);
          if (win.divisor <= 0) continue;
          const T g = dy[pl * OH * OW + oh * OW + ow] / static_cast<T>(win.divisor);
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) dxp[h * W + w] += g;
        }
    }
  });
}

std::size_t scratch_bytes(const AvgPoolAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
