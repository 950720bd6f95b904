// Linear: src [N, IN], weight [OUT, IN], bias [OUT] -> dst [N, OUT] = src * weight^T + bias.
// bwd_data: diff_src = diff_dst * weight. bwd_weights: diff_weight = diff_dst^T * src,
// diff_bias = sum_n diff_dst (either may be empty = frozen).
#include "kernels/native/gemm.hpp"
#include "kernels/native/native_kernels.hpp"
#include "kernels/ref/common.hpp"

namespace edgetrain::native {

namespace detail = ref::detail;  // the loop helpers the reference kernels use too

void fwd(const LinearAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t N = p.src[0][0], IN = a.in_features, OUT = a.out_features;
    const T* x = args.src[0].as<T>();
    const T* w = args.weights[0].as<T>();
    T* y = args.dst.as<T>();
    gemm<T>(false, true, N, OUT, IN, T(1), x, IN, w, IN, T(0), y, OUT);
    if (a.bias && detail::present(args.weights, 1)) {
      const T* b = args.weights[1].as<T>();
      for (int64_t n = 0; n < N; ++n)
        for (int64_t o = 0; o < OUT; ++o) y[n * OUT + o] += b[o];
    }
  });
}

void bwd_data(const LinearAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  if (!detail::present(args.diff_src, 0)) return;
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t N = p.src[0][0], IN = a.in_features, OUT = a.out_features;
    gemm<T>(false, false, N, IN, OUT, T(1), args.diff_dst.as<T>(), OUT, args.weights[0].as<T>(), IN, T(0),
            args.diff_src[0].as<T>(), IN);
  });
}

void bwd_weights(const LinearAttrs& a, const KernelProblem& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const int64_t N = p.src[0][0], IN = a.in_features, OUT = a.out_features;
    const T* dy = args.diff_dst.as<T>();
    if (detail::present(args.diff_weights, 0))
      gemm<T>(true, false, OUT, IN, N, T(1), dy, OUT, args.src[0].as<T>(), IN, T(0), args.diff_weights[0].as<T>(), IN);
    if (a.bias && detail::present(args.diff_weights, 1)) {
      T* db = args.diff_weights[1].as<T>();
      for (int64_t o = 0; o < OUT; ++o) db[o] = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t o = 0; o < OUT; ++o) db[o] += dy[n * OUT + o];
    }
  });
}

std::size_t scratch_bytes(const LinearAttrs&, const KernelProblem&) { return 0; }

}  // namespace edgetrain::native
