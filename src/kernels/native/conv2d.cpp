// Conv2d: src [N, C, H, W], weight [OC, C/G, KH, KW], bias [OC] -> dst [N, OC, OH, OW] (cross-correlation,
// zero padding, dilation, groups G).
//
// Depthwise (G == C > 1, OC = C * multiplier): direct loops, no scratch.
// Otherwise, per image n and group g (Cg = C/G, OCg = OC/G, CKg = Cg*KH*KW, P = OH*OW):
//   col_n [C*KH*KW, P] = im2col(x_n)   (pointwise 1x1/stride 1/no padding: col_n is x_n itself)
//   fwd:          y_n,g [OCg, P]   = W_g [OCg, CKg] * col_n,g [CKg, P] (+ bias)
//   bwd_data:     col_n,g          = W_g^T * dy_n,g ; dx_n = col2im(col_n)  (dx zeroed, then accumulated)
//   bwd_weights:  dW_g             = sum_n dy_n,g * col_n,g^T ; dbias = sum over n, P of dy
// Threads split the images when there are at least two (each thread its own col slot and, for
// bwd_weights, its own partial dW, reduced at the end); otherwise the GEMM runs in parallel.
// Scratch: slots = omp_get_max_threads() at problem time, each slot = col [+ partial dW], 64-byte aligned.
#include <cstring>

#include "kernels/native/gemm.hpp"
#include "kernels/native/native_kernels.hpp"
#include "kernels/ref/common.hpp"

namespace edgetrain::native {

namespace detail = ref::detail;  // the loop helpers the reference kernels use too
namespace {

struct Geometry {
  int64_t N, C, H, W, OC, OH, OW, KH, KW, G, Cg, OCg, CKg, P;
  bool depthwise, pointwise;
};

Geometry geometry(const Conv2dAttrs& a, const KernelProblem& p) {
  Geometry g{};
  g.N = p.src[0][0], g.C = p.src[0][1], g.H = p.src[0][2], g.W = p.src[0][3];
  g.OC = p.dst[1], g.OH = p.dst[2], g.OW = p.dst[3];
  g.KH = a.kernel_h, g.KW = a.kernel_w, g.G = a.groups;
  g.Cg = g.C / g.G, g.OCg = g.OC / g.G, g.CKg = g.Cg * g.KH * g.KW, g.P = g.OH * g.OW;
  g.depthwise = g.G == g.C && g.G > 1;
  g.pointwise = g.KH == 1 && g.KW == 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0;
  return g;
}

// Outputs o in [lo, hi) whose input coordinate o * stride + off lies in [0, in).
inline void valid_range(int64_t out, int64_t in, int64_t stride, int64_t off, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  hi = in - 1 - off < 0 ? 0 : (in - 1 - off) / stride + 1;
  hi = std::min(hi, out);
  lo = std::min(lo, hi);
}

struct Layout {
  std::size_t col = 0, dw = 0;  // bytes per slot
  std::size_t slot() const { return col + dw; }
};

Layout layout(const Conv2dAttrs& a, const KernelProblem& p) {
  const Geometry g = geometry(a, p);
  Layout l;
  if (g.depthwise) return l;
  const std::size_t es = dtype_size(p.dtype);
  if (!g.pointwise) l.col = detail::align_up(static_cast<std::size_t>(g.C * g.KH * g.KW * g.P) * es);
  if (p.pass == Pass::bwd_weights && detail::scratch_slots() > 1)
    l.dw = detail::align_up(static_cast<std::size_t>(g.OC * g.CKg) * es);
  return l;
}

template <class T>
void im2col(const Conv2dAttrs& a, const Geometry& g, const T* x, T* col) {
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        T* row = col + ((c * g.KH + kh) * g.KW + kw) * g.P;
        const int64_t offh = kh * a.dilation_h - a.pad_h, offw = kw * a.dilation_w - a.pad_w;
        int64_t lo, hi;
        valid_range(g.OW, g.W, a.stride_w, offw, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          T* r = row + oh * g.OW;
          const int64_t ih = oh * a.stride_h + offh;
          if (ih < 0 || ih >= g.H) {
            for (int64_t ow = 0; ow < g.OW; ++ow) r[ow] = T(0);
            continue;
          }
          const T* xr = x + (c * g.H + ih) * g.W + offw;
          for (int64_t ow = 0; ow < lo; ++ow) r[ow] = T(0);
          for (int64_t ow = lo; ow < hi; ++ow) r[ow] = xr[ow * a.stride_w];
          for (int64_t ow = hi; ow < g.OW; ++ow) r[ow] = T(0);
        }
      }
}

// dx += col2im(col); dx must be zeroed by the caller.
template <class T>
void col2im(const Conv2dAttrs& a, const Geometry& g, const T* col, T* dx) {
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const T* row = col + ((c * g.KH + kh) * g.KW + kw) * g.P;
        const int64_t offh = kh * a.dilation_h - a.pad_h, offw = kw * a.dilation_w - a.pad_w;
        int64_t lo, hi;
        valid_range(g.OW, g.W, a.stride_w, offw, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t ih = oh * a.stride_h + offh;
          if (ih < 0 || ih >= g.H) continue;
          T* dr = dx + (c * g.H + ih) * g.W + offw;
          const T* r = row + oh * g.OW;
          for (int64_t ow = lo; ow < hi; ++ow) dr[ow * a.stride_w] += r[ow];
        }
      }
}

// Runs body(n, slot) for every image, over `threads` threads (slot = thread number).
template <class F>
void for_images(int64_t N, int threads, F&& body) {
  if (threads <= 1) {
    for (int64_t n = 0; n < N; ++n) body(n, 0);
    return;
  }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t n = 0; n < N; ++n) body(n, omp_get_thread_num());
}

// ---- depthwise: output channel oc reads input channel oc / mult ----

template <class T>
void dw_fwd(const Conv2dAttrs& a, const Geometry& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t mult = g.OC / g.C;
#pragma omp parallel for collapse(2) if (g.N * g.OC * g.P > detail::kParallelMin) schedule(static)
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oc = 0; oc < g.OC; ++oc) {
      const T* xp = x + (n * g.C + oc / mult) * g.H * g.W;
      const T* wp = w + oc * g.KH * g.KW;
      T* yp = y + (n * g.OC + oc) * g.P;
      const T b = bias ? bias[oc] : T(0);
      for (int64_t i = 0; i < g.P; ++i) yp[i] = b;
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const T wv = wp[kh * g.KW + kw];
          const int64_t offh = kh * a.dilation_h - a.pad_h, offw = kw * a.dilation_w - a.pad_w;
          int64_t lo, hi;
          valid_range(g.OW, g.W, a.stride_w, offw, lo, hi);
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const int64_t ih = oh * a.stride_h + offh;
            if (ih < 0 || ih >= g.H) continue;
            const T* xr = xp + ih * g.W + offw;
            T* yr = yp + oh * g.OW;
            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * a.stride_w];
          }
        }
    }
}

template <class T>
void dw_bwd_data(const Conv2dAttrs& a, const Geometry& g, const T* dy, const T* w, T* dx) {
  const int64_t mult = g.OC / g.C;
#pragma omp parallel for collapse(2) if (g.N * g.OC * g.P > detail::kParallelMin) schedule(static)
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t c = 0; c < g.C; ++c) {
      T* dxp = dx + (n * g.C + c) * g.H * g.W;
      std::memset(dxp, 0, static_cast<std::size_t>(g.H * g.W) * sizeof(T));
      for (int64_t oc = c * mult; oc < (c + 1) * mult; ++oc) {
        const T* dyp = dy + (n * g.OC + oc) * g.P;
        const T* wp = w + oc * g.KH * g.KW;
        for (int64_t kh = 0; kh < g.KH; ++kh)
          for (int64_t kw = 0; kw < g.KW; ++kw) {
            const T wv = wp[kh * g.KW + kw];
            const int64_t offh = kh * a.dilation_h - a.pad_h, offw = kw * a.dilation_w - a.pad_w;
            int64_t lo, hi;
            valid_range(g.OW, g.W, a.stride_w, offw, lo, hi);
            for (int64_t oh = 0; oh < g.OH; ++oh) {
              const int64_t ih = oh * a.stride_h + offh;
              if (ih < 0 || ih >= g.H) continue;
              T* dr = dxp + ih * g.W + offw;
              const T* gr = dyp + oh * g.OW;
              for (int64_t ow = lo; ow < hi; ++ow) dr[ow * a.stride_w] += wv * gr[ow];
            }
          }
      }
    }
}

template <class T>
void dw_bwd_weights(const Conv2dAttrs& a, const Geometry& g, const T* dy, const T* x, T* dw) {
  const int64_t mult = g.OC / g.C;
#pragma omp parallel for if (g.N * g.OC * g.P > detail::kParallelMin) schedule(static)
  for (int64_t oc = 0; oc < g.OC; ++oc)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offh = kh * a.dilation_h - a.pad_h, offw = kw * a.dilation_w - a.pad_w;
        int64_t lo, hi;
        valid_range(g.OW, g.W, a.stride_w, offw, lo, hi);
        T acc = 0;
        for (int64_t n = 0; n < g.N; ++n) {
          const T* xp = x + (n * g.C + oc / mult) * g.H * g.W;
          const T* dyp = dy + (n * g.OC + oc) * g.P;
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const int64_t ih = oh * a.stride_h + offh;
            if (ih < 0 || ih >= g.H) continue;
            const T* xr = xp + ih * g.W + offw;
            const T* gr = dyp + oh * g.OW;
            for (int64_t ow = lo; ow < hi; ++ow) acc += gr[ow] * xr[ow * a.stride_w];
          }
        }
        dw[(oc * g.KH + kh) * g.KW + kw] = acc;
      }
}

template <class T>
void bias_grad(const Geometry& g, const T* dy, T* db) {
  for (int64_t oc = 0; oc < g.OC; ++oc) {
    T acc = 0;
    for (int64_t n = 0; n < g.N; ++n) {
      const T* r = dy + (n * g.OC + oc) * g.P;
      for (int64_t i = 0; i < g.P; ++i) acc += r[i];
    }
    db[oc] = acc;
  }
}

template <class T>
T* slot_ptr(const KernelArgs& args, const Layout& l, int slot, std::size_t offset) {
  return reinterpret_cast<T*>(static_cast<std::byte*>(args.scratch.data) + slot * l.slot() + offset);
}

// ---- typed passes ----

template <class T>
void fwd_t(const Conv2dAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  const Geometry g = geometry(a, p);
  const T* x = args.src[0].as<T>();
  const T* w = args.weights[0].as<T>();
  const T* bias = a.bias && detail::present(args.weights, 1) ? args.weights[1].as<T>() : nullptr;
  T* y = args.dst.as<T>();
  if (g.depthwise) return dw_fwd(a, g, x, w, bias, y);
  const Layout l = layout(a, p);
  ET_ASSERT(args.scratch.bytes() >= l.col);  // the caller provides scratch_bytes() of scratch
  const int threads = detail::usable_threads(args.scratch, l.slot(), g.N);
  for_images(g.N, threads, [&](int64_t n, int slot) {
    const T* xn = x + n * g.C * g.H * g.W;
    T* yn = y + n * g.OC * g.P;
    const T* col = xn;
    if (!g.pointwise) {
      T* buf = slot_ptr<T>(args, l, slot, 0);
      im2col(a, g, xn, buf);
      col = buf;
    }
    for (int64_t gi = 0; gi < g.G; ++gi)
      gemm<T>(false, false, g.OCg, g.P, g.CKg, T(1), w + gi * g.OCg * g.CKg, g.CKg, col + gi * g.CKg * g.P, g.P, T(0),
              yn + gi * g.OCg * g.P, g.P);
    if (bias)
      for (int64_t oc = 0; oc < g.OC; ++oc)
        for (int64_t i = 0; i < g.P; ++i) yn[oc * g.P + i] += bias[oc];
  });
}

template <class T>
void bwd_data_t(const Conv2dAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  const Geometry g = geometry(a, p);
  const T* dy = args.diff_dst.as<T>();
  const T* w = args.weights[0].as<T>();
  T* dx = args.diff_src[0].as<T>();
  if (g.depthwise) return dw_bwd_data(a, g, dy, w, dx);
  const Layout l = layout(a, p);
  ET_ASSERT(args.scratch.bytes() >= l.col);  // the caller provides scratch_bytes() of scratch
  const int threads = detail::usable_threads(args.scratch, l.slot(), g.N);
  for_images(g.N, threads, [&](int64_t n, int slot) {
    const T* dyn = dy + n * g.OC * g.P;
    T* dxn = dx + n * g.C * g.H * g.W;
    T* col = g.pointwise ? dxn : slot_ptr<T>(args, l, slot, 0);
    for (int64_t gi = 0; gi < g.G; ++gi)
      gemm<T>(true, false, g.CKg, g.P, g.OCg, T(1), w + gi * g.OCg * g.CKg, g.CKg, dyn + gi * g.OCg * g.P, g.P, T(0),
              col + gi * g.CKg * g.P, g.P);
    if (!g.pointwise) {
      std::memset(dxn, 0, static_cast<std::size_t>(g.C * g.H * g.W) * sizeof(T));
      col2im(a, g, col, dxn);
    }
  });
}

template <class T>
void bwd_weights_t(const Conv2dAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  const Geometry g = geometry(a, p);
  const T* dy = args.diff_dst.as<T>();
  if (a.bias && detail::present(args.diff_weights, 1)) bias_grad(g, dy, args.diff_weights[1].as<T>());
  if (!detail::present(args.diff_weights, 0)) return;
  const T* x = args.src[0].as<T>();
  T* dw = args.diff_weights[0].as<T>();
  if (g.depthwise) return dw_bwd_weights(a, g, dy, x, dw);
  const Layout l = layout(a, p);
  ET_ASSERT(args.scratch.bytes() >= l.col);  // the caller provides scratch_bytes() of scratch
  // Partial dW per thread only when the scratch booked them (l.dw > 0).
  const int threads = l.dw > 0 ? detail::usable_threads(args.scratch, l.slot(), g.N) : 1;
  const int64_t dw_elems = g.OC * g.CKg;
  if (threads > 1)
    for (int t = 0; t < threads; ++t)
      std::memset(slot_ptr<T>(args, l, t, l.col), 0, static_cast<std::size_t>(dw_elems) * sizeof(T));
  for_images(g.N, threads, [&](int64_t n, int slot) {
    const T* xn = x + n * g.C * g.H * g.W;
    const T* dyn = dy + n * g.OC * g.P;
    const T* col = xn;
    if (!g.pointwise) {
      T* buf = slot_ptr<T>(args, l, slot, 0);
      im2col(a, g, xn, buf);
      col = buf;
    }
    T* target = threads > 1 ? slot_ptr<T>(args, l, slot, l.col) : dw;
    // Partials start zeroed; the serial path overwrites dW with image 0 and accumulates the rest.
    const bool first = threads == 1 && n == 0;
    for (int64_t gi = 0; gi < g.G; ++gi)
      gemm<T>(false, true, g.OCg, g.CKg, g.P, T(1), dyn + gi * g.OCg * g.P, g.P, col + gi * g.CKg * g.P, g.P,
              first ? T(0) : T(1), target + gi * g.OCg * g.CKg, g.CKg);
  });
  if (threads > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < dw_elems; ++i) {
      T acc = 0;
      for (int t = 0; t < threads; ++t) acc += slot_ptr<T>(args, l, t, l.col)[i];
      dw[i] = acc;
    }
  }
}

}  // namespace

void fwd(const Conv2dAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() { fwd_t<T>(a, p, args); });
}

void bwd_data(const Conv2dAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() { bwd_data_t<T>(a, p, args); });
}

void bwd_weights(const Conv2dAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() { bwd_weights_t<T>(a, p, args); });
}

std::size_t scratch_bytes(const Conv2dAttrs& a, const KernelProblem& p) {
  const Layout l = layout(a, p);
  return l.slot() == 0 ? 0 : l.slot() * static_cast<std::size_t>(detail::scratch_slots());
}

}  // namespace edgetrain::native
