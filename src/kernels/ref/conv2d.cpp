// Conv2d: src [N, C, H, W], weight [OC, C/G, KH, KW], bias [OC] -> dst [N, OC, OH, OW]: cross-correlation
// with zero padding, stride, dilation and G groups (output channel oc reads the input channels of its
// group g = oc / (OC/G): g*C/G .. (g+1)*C/G - 1; depthwise is G = C).
//   fwd:          y[n,oc,oh,ow]  = bias[oc] + sum_{ic,kh,kw} w[oc,ic,kh,kw] * x[n, g*Cg+ic, ih, iw]
//   bwd_data:     dx[n,c,ih,iw]  = sum over the (oc, kh, kw, oh, ow) that read it of w * dy[n,oc,oh,ow]
//   bwd_weights:  dw[oc,ic,kh,kw] = sum_{n,oh,ow} dy[n,oc,oh,ow] * x[n, g*Cg+ic, ih, iw] (in double),
//                 dbias[oc] = sum_{n,oh,ow} dy[n,oc,oh,ow] (in double)
// with ih = oh*stride_h - pad_h + kh*dilation_h, iw likewise, positions outside x reading zero. Direct
// loops, every sum in double: fwd one output row at a time and bwd_data one input plane at a time, in
// a per-thread double accumulator in scratch, so the innermost loop runs over a row's pixels. The
// oracle the native and oneDNN convolutions are tested against.
#include <algorithm>
#include <cstring>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

struct Geometry {
  int64_t N, C, H, W, OC, OH, OW, KH, KW, Cg, OCg;
  int64_t SH, SW, PH, PW, DH, DW;
};

Geometry geometry(const Conv2dAttrs& a, const OpDesc& p) {
  Geometry g{};
  g.N = p.src[0][0], g.C = p.src[0][1], g.H = p.src[0][2], g.W = p.src[0][3];
  g.OC = p.dst[1], g.OH = p.dst[2], g.OW = p.dst[3];
  g.KH = a.kernel_h, g.KW = a.kernel_w;
  g.Cg = g.C / a.groups, g.OCg = g.OC / a.groups;
  g.SH = a.stride_h, g.SW = a.stride_w, g.PH = a.pad_h, g.PW = a.pad_w, g.DH = a.dilation_h, g.DW = a.dilation_w;
  return g;
}

// The output columns [lo, hi) of filter column kw whose input column ow*SW - PW + kw*DW lies in x.
void columns_inside(const Geometry& g, int64_t kw, int64_t& lo, int64_t& hi) {
  const int64_t off = kw * g.DW - g.PW;  // input column of output column 0
  lo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
  hi = off > g.W - 1 ? 0 : std::min(g.OW, (g.W - 1 - off) / g.SW + 1);
  lo = std::min(lo, hi);
}

// Per-thread double accumulators in scratch: one output row (fwd) or one input plane (bwd_data).
std::size_t slot_bytes(const Geometry& g, Pass pass) {
  const int64_t n = pass == Pass::fwd ? g.OW : pass == Pass::bwd_data ? g.H * g.W : 0;
  return detail::align_up(static_cast<std::size_t>(n) * sizeof(double));
}

double* thread_slot(const KernelArgs& args, std::size_t slot) {
  return reinterpret_cast<double*>(static_cast<std::byte*>(args.scratch.data) +
                                   static_cast<std::size_t>(omp_get_thread_num()) * slot);
}

template <class T>
void fwd_t(const Conv2dAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const Geometry g = geometry(a, p);
  const T* x = args.src[0].as<T>();
  const T* w = args.weights[0].as<T>();
  const T* bias = a.bias && detail::present(args.weights, 1) ? args.weights[1].as<T>() : nullptr;
  T* y = args.dst.as<T>();
  const std::size_t slot = slot_bytes(g, Pass::fwd);
  const int threads = detail::usable_threads(args.scratch, slot, g.N * g.OC);
#pragma omp parallel for collapse(2) num_threads(threads) schedule(static)
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oc = 0; oc < g.OC; ++oc) {
      double* acc = thread_slot(args, slot);
      const int64_t c0 = oc / g.OCg * g.Cg;
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        std::fill(acc, acc + g.OW, bias ? static_cast<double>(bias[oc]) : 0.0);
        for (int64_t ic = 0; ic < g.Cg; ++ic)
          for (int64_t kh = 0; kh < g.KH; ++kh) {
            const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
            if (ih < 0 || ih >= g.H) continue;
            const T* xr = x + ((n * g.C + c0 + ic) * g.H + ih) * g.W;
            for (int64_t kw = 0; kw < g.KW; ++kw) {
              const double wv = w[((oc * g.Cg + ic) * g.KH + kh) * g.KW + kw];
              const int64_t off = kw * g.DW - g.PW;  // input column of output column 0
              int64_t lo, hi;
              columns_inside(g, kw, lo, hi);
              for (int64_t ow = lo; ow < hi; ++ow) acc[ow] += wv * xr[ow * g.SW + off];
            }
          }
        T* yr = y + ((n * g.OC + oc) * g.OH + oh) * g.OW;
        for (int64_t ow = 0; ow < g.OW; ++ow) yr[ow] = static_cast<T>(acc[ow]);
      }
    }
}

template <class T>
void bwd_data_t(const Conv2dAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const Geometry g = geometry(a, p);
  const T* dy = args.diff_dst.as<T>();
  const T* w = args.weights[0].as<T>();
  T* dx = args.diff_src[0].as<T>();
  const std::size_t slot = slot_bytes(g, Pass::bwd_data);
  const int threads = detail::usable_threads(args.scratch, slot, g.N * g.C);
#pragma omp parallel for collapse(2) num_threads(threads) schedule(static)
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t c = 0; c < g.C; ++c) {
      double* acc = thread_slot(args, slot);
      std::fill(acc, acc + g.H * g.W, 0.0);
      const int64_t group = c / g.Cg, ic = c % g.Cg;
      for (int64_t oc = group * g.OCg; oc < (group + 1) * g.OCg; ++oc)
        for (int64_t kh = 0; kh < g.KH; ++kh)
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
            if (ih < 0 || ih >= g.H) continue;
            double* accr = acc + ih * g.W;
            const T* dyr = dy + ((n * g.OC + oc) * g.OH + oh) * g.OW;
            for (int64_t kw = 0; kw < g.KW; ++kw) {
              const double wv = w[((oc * g.Cg + ic) * g.KH + kh) * g.KW + kw];
              const int64_t off = kw * g.DW - g.PW;
              int64_t lo, hi;
              columns_inside(g, kw, lo, hi);
              for (int64_t ow = lo; ow < hi; ++ow) accr[ow * g.SW + off] += wv * dyr[ow];
            }
          }
      T* dxp = dx + (n * g.C + c) * g.H * g.W;
      for (int64_t i = 0; i < g.H * g.W; ++i) dxp[i] = static_cast<T>(acc[i]);
    }
}

template <class T>
void bwd_weights_t(const Conv2dAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const Geometry g = geometry(a, p);
  const T* dy = args.diff_dst.as<T>();
  const T* x = args.src[0].as<T>();
  T* dw = detail::present(args.diff_weights, 0) ? args.diff_weights[0].as<T>() : nullptr;
  T* db = a.bias && detail::present(args.diff_weights, 1) ? args.diff_weights[1].as<T>() : nullptr;
#pragma omp parallel for if (g.N * g.OC * g.OH * g.OW > detail::kParallelMin) schedule(static)
  for (int64_t oc = 0; oc < g.OC; ++oc) {
    if (db) {
      double acc = 0;
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t i = 0; i < g.OH * g.OW; ++i) acc += dy[(n * g.OC + oc) * g.OH * g.OW + i];
      db[oc] = static_cast<T>(acc);
    }
    if (!dw) continue;
    const int64_t c0 = oc / g.OCg * g.Cg;
    for (int64_t ic = 0; ic < g.Cg; ++ic)
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          int64_t lo, hi;
          columns_inside(g, kw, lo, hi);
          double acc = 0;
          for (int64_t n = 0; n < g.N; ++n)
            for (int64_t oh = 0; oh < g.OH; ++oh) {
              const int64_t ih = oh * g.SH - g.PH + kh * g.DH;
              if (ih < 0 || ih >= g.H) continue;
              const T* xr = x + ((n * g.C + c0 + ic) * g.H + ih) * g.W;
              const T* dyr = dy + ((n * g.OC + oc) * g.OH + oh) * g.OW;
              const int64_t off = kw * g.DW - g.PW;
#pragma omp simd reduction(+ : acc)
              for (int64_t ow = lo; ow < hi; ++ow) acc += static_cast<double>(dyr[ow]) * xr[ow * g.SW + off];
            }
          dw[((oc * g.Cg + ic) * g.KH + kh) * g.KW + kw] = static_cast<T>(acc);
        }
  }
}

}  // namespace

void fwd(const Conv2dAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() { fwd_t<T>(a, p, args); });
}

void bwd_data(const Conv2dAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() { bwd_data_t<T>(a, p, args); });
}

void bwd_weights(const Conv2dAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() { bwd_weights_t<T>(a, p, args); });
}

std::size_t scratch_bytes(const Conv2dAttrs& a, const OpDesc& p) {
  return slot_bytes(geometry(a, p), p.pass) * static_cast<std::size_t>(detail::scratch_slots());
}

}  // namespace edgetrain::ref
