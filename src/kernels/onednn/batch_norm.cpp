// BatchNorm2d in the oneDNN backend.
// On row-major input, oneDNN batch_normalization (use_scale | use_shift):
//   training fwd: batch statistics computed here into scratch (mean, biased variance; see
//     batch_statistics), then oneDNN normalises with them (use_global_stats); C-sized loops write
//     aux = {mean, inv_std = 1 / sqrt(var + eps)} and update the running statistics with the unbiased
//     variance and PyTorch momentum (as the reference).
//   frozen fwd: use_global_stats from the running statistics; aux written from them.
//   bwd_data: backward from aux (oneDNN 2.6 has no backward_data with a scale, so diff_scale / diff_shift
//     go to C floats of scratch); the variance oneDNN wants is rebuilt in scratch as 1 / inv_std^2 - eps.
//     Frozen statistics: use_global_stats, i.e. dy * gamma * inv_std. Training 4-D: the reference is
//     faster and takes it.
//   bwd_weights: dgamma = sum(dy * xhat), dbeta = sum(dy) per channel in a plain loop (oneDNN's backward
//     would also compute diff_src, which needs an activation-sized scratch for nothing).
// On nChw16c (persistent blocked activations) every pass is computed here with the loops of
// bn_blocked.hpp — BnFwdBlocked, BnBwdBlocked (also the fused backward that writes the weight gradients,
// see ops/op.hpp) and BnBwdWeights — and a ReLU / ReLU6 that compile() fuses into the node is applied
// in the forward and masked in the backward (KernelProblem::fused_activation).
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/onednn/bn_blocked.hpp"
#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

using prop = dnnl::prop_kind;
using flags = dnnl::normalization_flags;

struct Dims {
  int64_t N, C, S;
  Layout layout;
  int64_t M() const { return N * S; }
};
Dims dims_of(const KernelProblem& p) { return {p.src[0][0], p.src[0][1], p.src[0].numel_from(2), p.src_layout_of(0)}; }

flags bn_flags(bool training) {
  return training ? flags::use_scale | flags::use_shift
                  : flags::use_scale | flags::use_shift | flags::use_global_stats;
}

dnnl::batch_normalization_forward::primitive_desc fwd_pd(const BatchNormAttrs& a, const KernelProblem& p,
                                                         prop kind, flags f) {
  dnnl::batch_normalization_forward::desc d(kind, data_md(p.src[0], p.src_layout_of(0)), static_cast<float>(a.eps), f);
  return {d, user_scratchpad(), cpu_engine()};
}

bool present(const std::vector<TensorView>& v, size_t i) { return v.size() > i && v[i]; }

// Batch statistics per channel, one pass over x: float SIMD sums of (x - k) over chunks of at most
// kChunk values, k being one value of the channel (so the shifted sums do not cancel), combined in
// double. oneDNN 2.6's own
// statistics are only ~1e-4 accurate (measured on GoogLeNet's 2x2 maps: inv_std off by 1e-4), which
// moves ReLU decisions near 0 ~1000x more often than float rounding does.
constexpr int64_t kChunk = 512;
void batch_statistics(const float* x, const Dims& d, float* mean, float* var) {
#pragma omp parallel for if (d.N * d.C * d.S > (int64_t{1} << 15)) schedule(static)
  for (int64_t c = 0; c < d.C; ++c) {
    const float k = x[c * d.S];
    double s1 = 0, s2 = 0;
    for (int64_t n = 0; n < d.N; ++n) {
      const float* row = x + (n * d.C + c) * d.S;
      for (int64_t start = 0; start < d.S; start += kChunk) {
        const int64_t end = std::min(d.S, start + kChunk);
        float r1 = 0, r2 = 0;
#pragma omp simd reduction(+ : r1, r2)
        for (int64_t i = start; i < end; ++i) {
          const float t = row[i] - k;
          r1 += t;
          r2 += t * t;
        }
        s1 += r1;
        s2 += r2;
      }
    }
    const double M = static_cast<double>(d.M()), m1 = s1 / M;
    mean[c] = static_cast<float>(k + m1);
    var[c] = static_cast<float>(std::max(0.0, s2 / M - m1 * m1));
  }
}

// After a forward: aux = {mean, inv_std} of the statistics used (batch ones in training, else the
// running ones), and in training the running statistics updated with the unbiased variance and
// PyTorch's momentum.
void store_statistics(const KernelArgs& args, const BatchNormAttrs& a, const Dims& d, bool training,
                      const float* mean, const float* var) {
  const bool aux = present(args.aux, 1), state = present(args.state, 1);
  const double M = static_cast<double>(d.M()), m = a.momentum;
  for (int64_t c = 0; c < d.C; ++c) {
    if (training) {
      if (aux) {
        args.aux[0].as<float>()[c] = mean[c];
        args.aux[1].as<float>()[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + a.eps));
      }
      if (state) {
        const double unbiased = d.M() > 1 ? var[c] * M / (M - 1) : var[c];
        float* rm = args.state[0].as<float>();
        float* rv = args.state[1].as<float>();
        rm[c] = static_cast<float>((1.0 - m) * rm[c] + m * mean[c]);
        rv[c] = static_cast<float>((1.0 - m) * rv[c] + m * unbiased);
      }
    } else if (aux) {
      args.aux[0].as<float>()[c] = args.state[0].as<float>()[c];
      args.aux[1].as<float>()[c] =
          static_cast<float>(1.0 / std::sqrt(static_cast<double>(args.state[1].as<float>()[c]) + a.eps));
    }
  }
}

// On nChw16c, the forward is computed here (bn_blocked.hpp): statistics, then
// y = act((x - mean) * gamma * inv_std + beta), the activation fused where compile() asks.
class BnFwdBlocked final : public BlockedLoopKernel {
 public:
  BnFwdBlocked(const BatchNormAttrs& a, const KernelProblem& p)
      : a_(a), d_(dims_of(p)), training_(p.training), act_(p.fused_activation) {
    stats_ = prog_.scratch(plain_md(memory::dims{2 * d_.C}));   // batch mean, variance
    coeffs_ = prog_.scratch(plain_md(memory::dims{d_.C}));  // scale = gamma * inv_std
  }

  void execute(const KernelArgs& args) const override {
    const float* x = args.src[0].as<float>();
    auto* stats = static_cast<float*>(prog_.scratch_ptr(args, stats_));
    auto* scale = static_cast<float*>(prog_.scratch_ptr(args, coeffs_));
    const bn_blocked::Extent e{d_.N, d_.C, d_.S};
    if (training_) bn_blocked::statistics(x, e, stats, stats + d_.C);
    const float* mean = training_ ? stats : args.state[0].as<float>();
    const float* var = training_ ? stats + d_.C : args.state[1].as<float>();
    const float* gamma = args.weights[0].as<float>();
    const float* beta = args.weights[1].as<float>();
    for (int64_t c = 0; c < d_.C; ++c) scale[c] = static_cast<float>(gamma[c] / std::sqrt(static_cast<double>(var[c]) + a_.eps));
    bn_blocked::normalize(x, mean, scale, beta, act_, e, args.dst.as<float>());
    store_statistics(args, a_, d_, training_, training_ ? mean : nullptr, training_ ? var : nullptr);
  }

 private:
  BatchNormAttrs a_;
  Dims d_;
  bool training_;
  Activation act_;
  memory stats_, coeffs_;
};

class BnFwd final : public ProgramKernel {
 public:
  // oneDNN normalises with statistics given to it (use_global_stats): in training they are the batch
  // statistics computed above, in inference the running ones.
  BnFwd(const BatchNormAttrs& a, const KernelProblem& p) : a_(a), d_(dims_of(p)), training_(p.training) {
    auto pd = fwd_pd(a, p, prop::forward_inference, bn_flags(false));
    const memory::desc c_md = plain_md(memory::dims{d_.C});
    std::vector<std::pair<int, memory>> args{{DNNL_ARG_SRC, prog_.user(pd.src_desc(), Slot::src, 0)},
                                             {DNNL_ARG_DST, prog_.user(pd.dst_desc(), Slot::dst)},
                                             {DNNL_ARG_SCALE, prog_.user(c_md, Slot::weights, 0)},
                                             {DNNL_ARG_SHIFT, prog_.user(c_md, Slot::weights, 1)}};
    if (training_) {
      mean_ = prog_.scratch(c_md);
      var_ = prog_.scratch(c_md);
      args.emplace_back(DNNL_ARG_MEAN, mean_);
      args.emplace_back(DNNL_ARG_VARIANCE, var_);
    } else {
      args.emplace_back(DNNL_ARG_MEAN, prog_.user(c_md, Slot::state, 0));
      args.emplace_back(DNNL_ARG_VARIANCE, prog_.user(c_md, Slot::state, 1));
    }
    prog_.add(dnnl::batch_normalization_forward(pd), pd, std::move(args));
  }

  void execute(const KernelArgs& args) const override {
    if (training_)
      batch_statistics(args.src[0].as<float>(), d_, static_cast<float*>(prog_.scratch_ptr(args, mean_)),
                       static_cast<float*>(prog_.scratch_ptr(args, var_)));
    prog_.bind_and_run(args);
    store_statistics(args, a_, d_, training_, mean_ptr(args), var_ptr(args));
  }

 private:
  const float* mean_ptr(const KernelArgs& args) const {
    return training_ ? static_cast<const float*>(prog_.scratch_ptr(args, mean_)) : nullptr;
  }
  const float* var_ptr(const KernelArgs& args) const {
    return training_ ? static_cast<const float*>(prog_.scratch_ptr(args, var_)) : nullptr;
  }

  BatchNormAttrs a_;
  Dims d_;
  bool training_;
  memory mean_, var_;
};

class BnBwdData final : public ProgramKernel {
 public:
  BnBwdData(const BatchNormAttrs& a, const KernelProblem& p) : eps_(a.eps), C_(p.src[0][1]) {
    auto hint = fwd_pd(a, p, prop::forward_training, bn_flags(p.training));
    const memory::desc data = data_md(p.src[0], p.src_layout_of(0)), c_md = plain_md(memory::dims{C_});
    dnnl::batch_normalization_backward::desc d(prop::backward, data, data, static_cast<float>(a.eps),
                                               bn_flags(p.training));
    dnnl::batch_normalization_backward::primitive_desc pd(d, user_scratchpad(), cpu_engine(), hint);
    var_ = prog_.scratch(c_md);
    prog_.add(dnnl::batch_normalization_backward(pd), pd,
              {{DNNL_ARG_SRC, prog_.user(data, Slot::src, 0)},
               {DNNL_ARG_DIFF_DST, prog_.user(data, Slot::diff_dst)},
               {DNNL_ARG_MEAN, prog_.user(c_md, Slot::aux, 0)},
               {DNNL_ARG_VARIANCE, var_},
               {DNNL_ARG_SCALE, prog_.user(c_md, Slot::weights, 0)},
               {DNNL_ARG_SHIFT, prog_.user(c_md, Slot::weights, 1)},  // required by 2.6, not read
               {DNNL_ARG_DIFF_SRC, prog_.user(data, Slot::diff_src, 0)},
               {DNNL_ARG_DIFF_SCALE, prog_.scratch(c_md)},
               {DNNL_ARG_DIFF_SHIFT, prog_.scratch(c_md)}});
  }

  void execute(const KernelArgs& args) const override {
    if (!present(args.diff_src, 0)) return;
    const float* inv_std = args.aux[1].as<float>();
    auto* var = static_cast<float*>(prog_.scratch_ptr(args, var_));
    for (int64_t c = 0; c < C_; ++c) {
      const double s = inv_std[c];
      var[c] = static_cast<float>(1.0 / (s * s) - eps_);
    }
    prog_.bind_and_run(args);
  }

 private:
  double eps_;
  int64_t C_;
  memory var_;
};

// BatchNorm backward on nChw16c, computed here rather than by oneDNN 2.6 (as fast: 34 vs 30 ms per
// MobileNetV2 224² batch-8 step) so that it is the reference's fused backward: the per-channel sums
// s1 = sum(dy), s2 = sum(dy * (x - mean)) combine float runs in double as the statistics do, and with
// weight_grads_in_bwd_data they are also the weight gradients dgamma = s2 * inv_std, dbeta = s1. With
// batch statistics dx = gamma * inv_std * (dy - s1/M - (x - mean) * inv_std^2 * s2/M); with frozen
// statistics dx = gamma * inv_std * dy. The C-sized sums and coefficients live in scratch.
class BnBwdBlocked final : public BlockedLoopKernel {
 public:
  explicit BnBwdBlocked(const KernelProblem& p) : d_(dims_of(p)), training_(p.training), act_(p.fused_activation) {
    sums_ = prog_.scratch(plain_md(memory::dims{4 * d_.C}));    // s1, s2: 2*C doubles
    coeffs_ = prog_.scratch(plain_md(memory::dims{3 * d_.C}));  // a, b, c of dx = a * g - b * (x - mean) - c
  }

  void execute(const KernelArgs& args) const override {
    if (!present(args.diff_src, 0)) return;
    const float* x = args.src[0].as<float>();
    const float* dy = args.diff_dst.as<float>();
    const float* y = act_ != Activation::none ? args.dst.as<float>() : nullptr;
    const float* gamma = args.weights[0].as<float>();
    const float* mean = args.aux[0].as<float>();
    const float* inv_std = args.aux[1].as<float>();
    auto* s1 = static_cast<double*>(prog_.scratch_ptr(args, sums_));
    double* s2 = s1 + d_.C;
    auto* a = static_cast<float*>(prog_.scratch_ptr(args, coeffs_));
    float *b = a + d_.C, *c = b + d_.C;
    const bn_blocked::Extent e{d_.N, d_.C, d_.S};
    const bool want_gamma = present(args.diff_weights, 0), want_beta = present(args.diff_weights, 1);
    if (training_ || want_gamma || want_beta) bn_blocked::channel_sums(x, dy, y, act_, mean, e, s1, s2);
    const double M = static_cast<double>(d_.M());
    for (int64_t k = 0; k < d_.C; ++k) {
      if (want_gamma) args.diff_weights[0].as<float>()[k] = static_cast<float>(s2[k] * inv_std[k]);
      if (want_beta) args.diff_weights[1].as<float>()[k] = static_cast<float>(s1[k]);
      const double is = inv_std[k], g = gamma[k] * is;
      a[k] = static_cast<float>(g);
      b[k] = training_ ? static_cast<float>(g * is * is * s2[k] / M) : 0.f;
      c[k] = training_ ? static_cast<float>(g * s1[k] / M) : 0.f;
    }
    bn_blocked::backward(x, dy, y, act_, mean, a, b, c, e, args.diff_src[0].as<float>());
  }

 private:
  Dims d_;
  bool training_;
  Activation act_;
  memory sums_, coeffs_;
};

class BnBwdWeights final : public ProgramKernel {
 public:
  explicit BnBwdWeights(const KernelProblem& p) : d_(dims_of(p)), act_(p.fused_activation) {}

  void execute(const KernelArgs& args) const override {
    const bool want_gamma = present(args.diff_weights, 0), want_beta = present(args.diff_weights, 1);
    if (!want_gamma && !want_beta) return;
    const float* x = args.src[0].as<float>();
    const float* dy = args.diff_dst.as<float>();
    const float* mean = args.aux[0].as<float>();
    const float* inv_std = args.aux[1].as<float>();
    const Dims d = d_;
    if (d.layout == Layout::blocked16) return blocked(x, dy, mean, inv_std, want_gamma, want_beta, args);
#pragma omp parallel for if (d.N * d.C * d.S > (1 << 15)) schedule(static)
    for (int64_t c = 0; c < d.C; ++c) {
      const float mc = mean[c];
      double s1 = 0, s2 = 0;
      for (int64_t n = 0; n < d.N; ++n) {
        const float* xr = x + (n * d.C + c) * d.S;
        const float* gr = dy + (n * d.C + c) * d.S;
        double a1 = 0, a2 = 0;
#pragma omp simd reduction(+ : a1, a2)
        for (int64_t i = 0; i < d.S; ++i) {
          a1 += gr[i];
          a2 += static_cast<double>(gr[i]) * static_cast<double>(xr[i] - mc);
        }
        s1 += a1;
        s2 += a2;
      }
      if (want_gamma) args.diff_weights[0].as<float>()[c] = static_cast<float>(s2 * inv_std[c]);
      if (want_beta) args.diff_weights[1].as<float>()[c] = static_cast<float>(s1);
    }
  }

 private:
  void blocked(const float* x, const float* dy, const float* mean, const float* inv_std, bool want_gamma,
               bool want_beta, const KernelArgs& args) const {
    std::vector<double> s1(static_cast<size_t>(d_.C)), s2(s1.size());  // C doubles per call: not a hot path
    const float* y = act_ != Activation::none ? args.dst.as<float>() : nullptr;
    bn_blocked::channel_sums(x, dy, y, act_, mean, {d_.N, d_.C, d_.S}, s1.data(), s2.data());
    for (int64_t c = 0; c < d_.C; ++c) {
      if (want_gamma) args.diff_weights[0].as<float>()[c] = static_cast<float>(s2[static_cast<size_t>(c)] * inv_std[c]);
      if (want_beta) args.diff_weights[1].as<float>()[c] = static_cast<float>(s1[static_cast<size_t>(c)]);
    }
  }

  Dims d_;
  Activation act_;
};

}  // namespace

std::unique_ptr<ProgramKernel> make_batch_norm(const BatchNormAttrs& a, const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1 || p.src[0].rank() < 2 || p.src[0].rank() > 5) {
    why_not = "BatchNorm expects one input of rank 2..5";
    return nullptr;
  }
  const bool blocked = p.src_layout_of(0) == Layout::blocked16 && p.src[0].rank() == 4;
  if (p.fused_activation != Activation::none && !blocked) {
    why_not = "a fused activation needs the blocked16 layout";
    return nullptr;
  }
  if (p.src_layout_of(0) != p.dst_layout) {
    why_not = "BatchNorm input and output in different layouts";
    return nullptr;
  }
  if (p.weight_grads_in_bwd_data && !blocked) {
    why_not = "the fused BatchNorm backward (diff_src and diff_weights in one pass) on NCHW is the reference's";
    return nullptr;
  }
  switch (p.pass) {
    case Pass::fwd:
      if (blocked) return std::make_unique<BnFwdBlocked>(a, p);
      return std::make_unique<BnFwd>(a, p);
    case Pass::bwd_data:
      // On NCHW oneDNN runs its generic (ncsp) backward, which computes the scale and shift
      // gradients too; the reference's two passes are faster (MobileNetV2 224² batch 8, all BN
      // bwd_data: 32 ms ref vs 53 ms oneDNN). The aux tensors are canonical, so fwd stays here.
      if (p.training && p.src[0].rank() == 4 && !blocked) {
        why_not = "BatchNorm training bwd_data on NCHW: the reference is faster than oneDNN's ncsp backward";
        return nullptr;
      }
      if (blocked) return std::make_unique<BnBwdBlocked>(p);
      return std::make_unique<BnBwdData>(a, p);
    case Pass::bwd_weights: return std::make_unique<BnBwdWeights>(p);
  }
  return nullptr;
}

}  // namespace edgetrain::onednn
