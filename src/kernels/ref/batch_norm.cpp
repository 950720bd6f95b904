// BatchNorm2d on [N, C] or [N, C, ...]: statistics per channel over M = N * prod(spatial) values.
// Training fwd: mean, biased var; aux[0] = mean, aux[1] = inv_std = 1 / sqrt(var + eps);
//   dst = (x - mean) * inv_std * gamma + beta; state running_mean / running_var updated as
//   r = (1 - momentum) * r + momentum * stat with the unbiased variance var * M / (M - 1) (var when M == 1).
// Eval fwd: the running statistics normalise, and aux mean / inv_std are written from them (backward with
//   frozen statistics reads them).
// bwd_data, training: dx = gamma * inv_std / M * (M * dy - sum(dy) - xhat * sum(dy * xhat));
//   eval: dx = dy * gamma * inv_std.  xhat = (x - mean) * inv_std from aux.
// bwd_weights: dgamma = sum(dy * xhat), dbeta = sum(dy) (either may be empty = frozen).
// aux and state views may be f32 or f64 independently of the problem's type; sums are kept in double.
#include <cmath>

#include "kernels/ref/common.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain::ref {
namespace {

struct Dims {
  int64_t N, C, S;  // batch, channels, spatial size per channel
  int64_t M() const { return N * S; }
};
Dims dims_of(const OpDesc& p) { return {p.src[0][0], p.src[0][1], p.src[0].numel_from(2)}; }

// Calls f(pointer to a channel-c run of S values) for each image.
template <class T, class F>
void for_channel(T* base, const Dims& d, int64_t c, F&& f) {
  for (int64_t n = 0; n < d.N; ++n) f(base + (n * d.C + c) * d.S);
}

// sum(dy) and sum(dy * xhat) of channel c.
template <class T>
void channel_sums(const KernelArgs& args, const Dims& d, int64_t c, double mean, double inv_std, double& sum_dy,
                  double& sum_dy_xhat) {
  const T* x = args.src[0].as<T>();
  const T* dy = args.diff_dst.as<T>();
  // Each row (one image's plane) is summed in T with SIMD, rows are combined in double.
  const T m = static_cast<T>(mean);
  double s1 = 0, s2 = 0;
  for (int64_t n = 0; n < d.N; ++n) {
    const int64_t off = (n * d.C + c) * d.S;
    T r1 = 0, r2 = 0;
#pragma omp simd reduction(+ : r1, r2)
    for (int64_t i = 0; i < d.S; ++i) {
      const T g = dy[off + i];
      r1 += g;
      r2 += g * (x[off + i] - m);
    }
    s1 += static_cast<double>(r1);
    s2 += static_cast<double>(r2);
  }
  sum_dy = s1;
  sum_dy_xhat = s2 * inv_std;
}

}  // namespace

void fwd(const BatchNormAttrs& a, const OpDesc& p, const KernelArgs& args) {
  detail::dispatch(p.dtype, [&]<class T>() {
    const Dims d = dims_of(p);
    const T* x = args.src[0].as<T>();
    T* y = args.dst.as<T>();
    const TensorView& gamma = args.weights[0];
    const TensorView& beta = args.weights[1];
    const bool has_aux = detail::present(args.aux, 1);
#pragma omp parallel for if (d.N * d.C * d.S > detail::kParallelMin) schedule(static)
    for (int64_t c = 0; c < d.C; ++c) {
      double mean, inv_std;
      if (p.training) {
        double sum = 0;
        for_channel(x, d, c, [&](const T* run) {
          for (int64_t i = 0; i < d.S; ++i) sum += run[i];
        });
        mean = sum / static_cast<double>(d.M());
        double sq = 0;
        for_channel(x, d, c, [&](const T* run) {
          for (int64_t i = 0; i < d.S; ++i) {
            const double t = static_cast<double>(run[i]) - mean;
            sq += t * t;
          }
        });
        const double var = sq / static_cast<double>(d.M());
        inv_std = 1.0 / std::sqrt(var + a.eps);
        if (detail::present(args.state, 1)) {
          const double unbiased = d.M() > 1 ? var * static_cast<double>(d.M()) / static_cast<double>(d.M() - 1) : var;
          detail::store(args.state[0], c, (1.0 - a.momentum) * detail::load(args.state[0], c) + a.momentum * mean);
          detail::store(args.state[1], c, (1.0 - a.momentum) * detail::load(args.state[1], c) + a.momentum * unbiased);
        }
      } else {
        mean = detail::load(args.state[0], c);
        inv_std = 1.0 / std::sqrt(detail::load(args.state[1], c) + a.eps);
      }
      if (has_aux) {
        detail::store(args.aux[0], c, mean);
        detail::store(args.aux[1], c, inv_std);
      }
      const double scale = inv_std * detail::load(gamma, c);
      const T s = static_cast<T>(scale), m = static_cast<T>(mean), b = static_cast<T>(detail::load(beta, c));
      for (int64_t n = 0; n < d.N; ++n) {
        const int64_t off = (n * d.C + c) * d.S;
        for (int64_t i = 0; i < d.S; ++i) y[off + i] = (x[off + i] - m) * s + b;
      }
    }
  });
}

// Also writes dgamma = sum(dy * xhat) and dbeta = sum(dy) when diff_weights are present (the fused
// backward, ExecutionSpec::weight_grads_in_bwd_data): the sums are needed for dx anyway.
void bwd_data(const BatchNormAttrs&, const OpDesc& p, const KernelArgs& args) {
  const bool want_gamma = detail::present(args.diff_weights, 0);
  const bool want_beta = detail::present(args.diff_weights, 1);
  if (!detail::present(args.diff_src, 0) && !want_gamma && !want_beta) return;
  ET_ASSERT(detail::present(args.aux, 1));
  detail::dispatch(p.dtype, [&]<class T>() {
    const Dims d = dims_of(p);
    const T* x = args.src[0].as<T>();
    const T* dy = args.diff_dst.as<T>();
    T* dx = detail::present(args.diff_src, 0) ? args.diff_src[0].as<T>() : nullptr;
    const double M = static_cast<double>(d.M());
#pragma omp parallel for if (d.N * d.C * d.S > detail::kParallelMin) schedule(static)
    for (int64_t c = 0; c < d.C; ++c) {
      const double mean = detail::load(args.aux[0], c), inv_std = detail::load(args.aux[1], c);
      const double gamma = detail::load(args.weights[0], c);
      double sum_dy = 0, sum_dy_xhat = 0;
      if (p.training || want_gamma || want_beta) channel_sums<T>(args, d, c, mean, inv_std, sum_dy, sum_dy_xhat);
      if (want_gamma) args.diff_weights[0].as<T>()[c] = static_cast<T>(sum_dy_xhat);
      if (want_beta) args.diff_weights[1].as<T>()[c] = static_cast<T>(sum_dy);
      if (!dx) continue;
      // dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)), k = gamma * inv_std, as dx = a * dy + b * (x - mean) + e:
      // centring x first keeps the result exact when |mean| >> std (folding b * mean into e cancels
      // catastrophically there). Frozen statistics: dx = k * dy.
      const double k = gamma * inv_std;
      const double ma = p.training ? sum_dy / M : 0.0, mb = p.training ? sum_dy_xhat / M : 0.0;
      const T a = static_cast<T>(k), b = static_cast<T>(-k * mb * inv_std), e = static_cast<T>(-k * ma),
              mu = static_cast<T>(mean);
      for (int64_t n = 0; n < d.N; ++n) {
        const int64_t off = (n * d.C + c) * d.S;
#pragma omp simd
        for (int64_t i = 0; i < d.S; ++i) dx[off + i] = a * dy[off + i] + b * (x[off + i] - mu) + e;
      }
    }
  });
}

void bwd_weights(const BatchNormAttrs&, const OpDesc& p, const KernelArgs& args) {
  const bool want_gamma = detail::present(args.diff_weights, 0);
  const bool want_beta = detail::present(args.diff_weights, 1);
  if (!want_gamma && !want_beta) return;
  ET_ASSERT(detail::present(args.aux, 1));
  detail::dispatch(p.dtype, [&]<class T>() {
    const Dims d = dims_of(p);
#pragma omp parallel for if (d.N * d.C * d.S > detail::kParallelMin) schedule(static)
    for (int64_t c = 0; c < d.C; ++c) {
      double sum_dy, sum_dy_xhat;
      channel_sums<T>(args, d, c, detail::load(args.aux[0], c), detail::load(args.aux[1], c), sum_dy, sum_dy_xhat);
      if (want_gamma) args.diff_weights[0].as<T>()[c] = static_cast<T>(sum_dy_xhat);
      if (want_beta) args.diff_weights[1].as<T>()[c] = static_cast<T>(sum_dy);
    }
  });
}

std::size_t scratch_bytes(const BatchNormAttrs&, const OpDesc&) { return 0; }

}  // namespace edgetrain::ref
