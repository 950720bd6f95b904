// Pointwise: y = f(x) for the functions in attrs.hpp (alpha, beta as PointwiseAttrs gives them).
// bwd_data, with PyTorch's conventions at the kinks:
//   leaky_relu    dx = dy                  where x > 0, else alpha * dy      (reads src)
//   sigmoid       dx = dy * y * (1 - y)                                     (reads dst)
//   hard_sigmoid  dx = alpha * dy          where 0 < alpha x + beta < 1, else 0   (reads src)
//   hard_swish    t = alpha x + beta: 0 where t < 0, dy * (2 alpha x + beta) where t <= 1, else dy
//                 (PyTorch hardswish_backward: x < -3, x <= 3, else)       (reads src)
//   scale         dx = alpha * dy                                           (reads nothing)
//   silu          s = sigmoid(x): dx = dy * s * (1 + x * (1 - s))           (reads src)
// Every loop reads element i before writing it, so dst may alias src and diff_src diff_dst.
#include <cmath>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

// out[i] = f(in[i]) over n elements.
template <class T, class F>
void map(const T* in, T* out, int64_t n, F f) {
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]);
}

// out[i] = f(a[i], b[i]) over n elements; both loads unconditional, or the loop does not vectorise.
template <class T, class F>
void map2(const T* a, const T* b, T* out, int64_t n, F f) {
#pragma omp parallel for simd if (parallel : n > detail::kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T u = a[i], v = b[i];
    out[i] = f(u, v);
  }
}

}  // namespace

void fwd(const PointwiseAttrs& attrs, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
    const int64_t n = args.dst.numel();
    const T alpha = static_cast<T>(attrs.alpha), beta = static_cast<T>(attrs.beta);
    switch (attrs.fn) {
      case PointwiseFn::leaky_relu: map(x, y, n, [=](T v) { return v >= T(0) ? v : alpha * v; }); return;
      case PointwiseFn::sigmoid: map(x, y, n, [](T v) { return T(1) / (T(1) + std::exp(-v)); }); return;
      case PointwiseFn::hard_sigmoid:
        map(x, y, n, [=](T v) { return std::min(std::max(alpha * v + beta, T(0)), T(1)); });
        return;
      case PointwiseFn::hard_swish:
        map(x, y, n, [=](T v) { return v * std::min(std::max(alpha * v + beta, T(0)), T(1)); });
        return;
      case PointwiseFn::scale: map(x, y, n, [=](T v) { return alpha * v; }); return;
      case PointwiseFn::silu: map(x, y, n, [](T v) { return v / (T(1) + std::exp(-v)); }); return;
    }
  });
}

void bwd_data(const PointwiseAttrs& attrs, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const T* dy = args.diff_dst.as<T>();
    T* dx = args.diff_src[0].as<T>();
    const int64_t n = args.diff_dst.numel();
    const T alpha = static_cast<T>(attrs.alpha), beta = static_cast<T>(attrs.beta);
    switch (attrs.fn) {
      case PointwiseFn::leaky_relu:
        map2(args.src[0].as<T>(), dy, dx, n, [=](T x, T g) { return x > T(0) ? g : alpha * g; });
        return;
      case PointwiseFn::sigmoid: map2(args.dst.as<T>(), dy, dx, n, [](T y, T g) { return g * y * (T(1) - y); }); return;
      case PointwiseFn::hard_sigmoid:
        map2(args.src[0].as<T>(), dy, dx, n, [=](T x, T g) {
          const T t = alpha * x + beta;
          return (t > T(0) && t < T(1)) ? alpha * g : T(0);
        });
        return;
      case PointwiseFn::hard_swish:
        map2(args.src[0].as<T>(), dy, dx, n, [=](T x, T g) {
          const T t = alpha * x + beta;
          return t < T(0) ? T(0) : (t <= T(1) ? g * (T(2) * alpha * x + beta) : g);
        });
        return;
      case PointwiseFn::scale: map(dy, dx, n, [=](T g) { return alpha * g; }); return;
      case PointwiseFn::silu:
        map2(args.src[0].as<T>(), dy, dx, n, [](T x, T g) {
          const T s = T(1) / (T(1) + std::exp(-x));
          return g * s * (T(1) + x * (T(1) - s));
        });
        return;
    }
  });
}

std::size_t scratch_bytes(const PointwiseAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
