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
// On nChw16c (persistent blocked activations) it declines: the native backend's BatchNorm
// (kernels/native/batch_norm.cpp) takes those problems.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/native/bn_blocked.hpp"
#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

using prop = dnnl::prop_kind;
using flags = dnnl::normalization_flags;

struct Dims {
  int64_t N, C, S;
  int64_t M() const { return N * S; }
};
Dims dims_of(const KernelProblem& p) { return {p.src[0][0], p.src[0][1], p.src[0].numel_from(2)}; }

flags bn_flags(bool training) {
  return training ? flags::use_scale | flags::use_shift : flags::use_scale | flags::use_shift | flags::use_global_stats;
}

dnnl::batch_normalization_forward::primitive_desc fwd_pd(const BatchNormAttrs& a, const KernelProblem& p, prop kind,
                                                         flags f) {
  dnnl::batch_normalization_forward::desc d(kind, data_md(p.src[0], p.src_layout_of(0), p.dtype),
                                            static_cast<float>(a.eps), f);
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
    native::bn_blocked::store_statistics(args, a_, d_.C, d_.M(), training_, mean_ptr(args), var_ptr(args));
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
    const memory::desc data = data_md(p.src[0], p.src_layout_of(0), p.dtype), c_md = plain_md(memory::dims{C_});
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

class BnBwdWeights final : public ProgramKernel {
 public:
  explicit BnBwdWeights(const KernelProblem& p) : d_(dims_of(p)) {}

  void execute(const KernelArgs& args) const override {
    const bool want_gamma = present(args.diff_weights, 0), want_beta = present(args.diff_weights, 1);
    if (!want_gamma && !want_beta) return;
    const float* x = args.src[0].as<float>();
    const float* dy = args.diff_dst.as<float>();
    const float* mean = args.aux[0].as<float>();
    const float* inv_std = args.aux[1].as<float>();
    const Dims d = d_;
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
  Dims d_;
};

}  // namespace

std::unique_ptr<ProgramKernel> make_batch_norm(const BatchNormAttrs& a, const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1 || p.src[0].rank() < 2 || p.src[0].rank() > 5) {
    why_not = "BatchNorm expects one input of rank 2..5";
    return nullptr;
  }
  if (p.dtype != DType::f32) {
    why_not = "BatchNorm here computes its statistics on f32 input; bf16 is the native backend's";
    return nullptr;
  }
  if (p.src_layout_of(0) != Layout::plain || p.dst_layout != Layout::plain) {
    why_not = "BatchNorm on blocked16 is the native backend's (oneDNN 2.6's statistics are ~1e-4 accurate)";
    return nullptr;
  }
  if (p.fused_activation != Activation::none) {
    why_not = "no fused activation for BatchNorm on the plain layout";
    return nullptr;
  }
  if (p.weight_grads_in_bwd_data) {
    why_not = "the fused BatchNorm backward (diff_src and diff_weights in one pass) on NCHW is the reference's";
    return nullptr;
  }
  switch (p.pass) {
    case Pass::fwd: return std::make_unique<BnFwd>(a, p);
    case Pass::bwd_data:
      // On NCHW oneDNN runs its generic (ncsp) backward, which computes the scale and shift
      // gradients too; the reference's two passes are faster (MobileNetV2 224² batch 8, all BN
      // bwd_data: 32 ms ref vs 53 ms oneDNN). The aux tensors are canonical, so fwd stays here.
      if (p.training && p.src[0].rank() == 4) {
        why_not = "BatchNorm training bwd_data on NCHW: the reference is faster than oneDNN's ncsp backward";
        return nullptr;
      }
      return std::make_unique<BnBwdData>(a, p);
    case Pass::bwd_weights: return std::make_unique<BnBwdWeights>(p);
  }
  return nullptr;
}

}  // namespace edgetrain::onednn
