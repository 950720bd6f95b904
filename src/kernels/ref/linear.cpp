// Linear: src [N, IN], weight [OUT, IN], bias [OUT] -> dst [N, OUT].
//   fwd:          y[n,o]  = bias[o] + sum_i x[n,i] * w[o,i]
//   bwd_data:     dx[n,i] = sum_o dy[n,o] * w[o,i]
//   bwd_weights:  dw[o,i] = sum_n dy[n,o] * x[n,i], dbias[o] = sum_n dy[n,o] (either may be empty = frozen)
// Every sum is taken in double. Plain loops: the oracle the native and oneDNN linear layers are tested
// against.
#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

template <class T>
void fwd_t(const LinearAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const int64_t N = p.src[0][0], IN = a.in_features, OUT = a.out_features;
  const T* x = args.src[0].as<T>();
  const T* w = args.weights[0].as<T>();
  const T* b = a.bias && detail::present(args.weights, 1) ? args.weights[1].as<T>() : nullptr;
  T* y = args.dst.as<T>();
#pragma omp parallel for collapse(2) if (N * OUT * IN > detail::kParallelMin) schedule(static)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OUT; ++o) {
      double acc = b ? b[o] : 0.0;
      for (int64_t i = 0; i < IN; ++i) acc += static_cast<double>(x[n * IN + i]) * w[o * IN + i];
      y[n * OUT + o] = static_cast<T>(acc);
    }
}

template <class T>
void bwd_data_t(const LinearAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const int64_t N = p.src[0][0], IN = a.in_features, OUT = a.out_features;
  const T* dy = args.diff_dst.as<T>();
  const T* w = args.weights[0].as<T>();
  T* dx = args.diff_src[0].as<T>();
#pragma omp parallel for collapse(2) if (N * OUT * IN > detail::kParallelMin) schedule(static)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < IN; ++i) {
      double acc = 0;
      for (int64_t o = 0; o < OUT; ++o) acc += static_cast<double>(dy[n * OUT + o]) * w[o * IN + i];
      dx[n * IN + i] = static_cast<T>(acc);
    }
}

template <class T>
void bwd_weights_t(const LinearAttrs& a, const OpDesc& p, const KernelArgs& args) {
  const int64_t N = p.src[0][0], IN = a.in_features, OUT = a.out_features;
  const T* dy = args.diff_dst.as<T>();
  const T* x = args.src[0].as<T>();
  T* dw = detail::present(args.diff_weights, 0) ? args.diff_weights[0].as<T>() : nullptr;
  T* db = a.bias && detail::present(args.diff_weights, 1) ? args.diff_weights[1].as<T>() : nullptr;
#pragma omp parallel for if (N * OUT * IN > detail::kParallelMin) schedule(static)
  for (int64_t o = 0; o < OUT; ++o) {
    if (db) {
      double acc = 0;
      for (int64_t n = 0; n < N; ++n) acc += dy[n * OUT + o];
      db[o] = static_cast<T>(acc);
    }
    if (!dw) continue;
    for (int64_t i = 0; i < IN; ++i) {
      double acc = 0;
      for (int64_t n = 0; n < N; ++n) acc += static_cast<double>(dy[n * OUT + o]) * x[n * IN + i];
      dw[o * IN + i] = static_cast<T>(acc);
    }
  }
}

}  // namespace

void fwd(const LinearAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() { fwd_t<T>(a, p, args); });
}

void bwd_data(const LinearAttrs& a, const OpDesc& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() { bwd_data_t<T>(a, p, args); });
}

void bwd_weights(const LinearAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() { bwd_weights_t<T>(a, p, args); });
}

std::size_t scratch_bytes(const LinearAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
