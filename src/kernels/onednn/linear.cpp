// Linear on oneDNN inner_product: src [N, IN] (nc), weight [OUT, IN] (oi), bias [OUT] -> dst [N, OUT].
// bwd_weights writes diff_weights[0] and diff_weights[1] (bias); a frozen weight gradient with a
// trainable bias sums diff_dst directly; a frozen bias gradient next to a trainable weight goes to scratch.
// bf16: src, dst and their gradients are bf16; the f32 weights are reordered into a bf16 copy for fwd and
// bwd_data; the weight and bias gradients come out f32.
#include "core/bf16.hpp"
#include "kernels/onednn/ops.hpp"

namespace edgetrain::onednn {
namespace {

using prop = dnnl::prop_kind;

struct Mds {
  memory::desc src, weights, bias, dst;
  memory::desc user_weights;  // f32 (weights: in the problem's type, as the primitive computes)
};
Mds mds_of(const LinearAttrs& a, const KernelProblem& p) {
  const int64_t N = p.src[0][0];
  const memory::dims w{a.out_features, a.in_features};
  return {plain_md(memory::dims{N, a.in_features}, p.dtype), plain_md(w, p.dtype),
          plain_md(memory::dims{a.out_features}), plain_md(memory::dims{N, a.out_features}, p.dtype), plain_md(w)};
}

dnnl::inner_product_forward::primitive_desc fwd_pd(const LinearAttrs& a, const Mds& m) {
  const auto d = a.bias ? dnnl::inner_product_forward::desc(prop::forward_training, m.src, m.weights, m.bias, m.dst)
                        : dnnl::inner_product_forward::desc(prop::forward_training, m.src, m.weights, m.dst);
  return {d, user_scratchpad(), cpu_engine()};
}

class LinearFwd final : public ProgramKernel {
 public:
  LinearFwd(const LinearAttrs& a, const KernelProblem& p) {
    const Mds m = mds_of(a, p);
    auto pd = fwd_pd(a, m);
    std::vector<std::pair<int, memory>> args{
        {DNNL_ARG_SRC, prog_.user(m.src, Slot::src, 0)},
        {DNNL_ARG_WEIGHTS, prog_.reorder_in(prog_.user(m.user_weights, Slot::weights, 0), m.weights)},
        {DNNL_ARG_DST, prog_.user(m.dst, Slot::dst)}};
    if (a.bias) args.emplace_back(DNNL_ARG_BIAS, prog_.user(m.bias, Slot::weights, 1));
    prog_.add(dnnl::inner_product_forward(pd), pd, std::move(args));
  }
  void execute(const KernelArgs& args) const override { prog_.bind_and_run(args); }
};

class LinearBwdData final : public ProgramKernel {
 public:
  LinearBwdData(const LinearAttrs& a, const KernelProblem& p) {
    const Mds m = mds_of(a, p);
    auto hint = fwd_pd(a, m);
    dnnl::inner_product_backward_data::desc d(m.src, m.weights, m.dst);
    dnnl::inner_product_backward_data::primitive_desc pd(d, user_scratchpad(), cpu_engine(), hint);
    prog_.add(dnnl::inner_product_backward_data(pd), pd,
              {{DNNL_ARG_DIFF_DST, prog_.user(m.dst, Slot::diff_dst)},
               {DNNL_ARG_WEIGHTS, prog_.reorder_in(prog_.user(m.user_weights, Slot::weights, 0), m.weights)},
               {DNNL_ARG_DIFF_SRC, prog_.user(m.src, Slot::diff_src, 0)}});
  }
  void execute(const KernelArgs& args) const override {
    if (args.diff_src.empty() || !args.diff_src[0]) return;
    prog_.bind_and_run(args);
  }
};

class LinearBwdWeights final : public ProgramKernel {
 public:
  LinearBwdWeights(const LinearAttrs& a, const KernelProblem& p)
      : bias_(a.bias), N_(p.src[0][0]), OUT_(a.out_features) {
    const Mds m = mds_of(a, p);
    auto hint = fwd_pd(a, m);
    const auto d = a.bias ? dnnl::inner_product_backward_weights::desc(m.src, m.user_weights, m.bias, m.dst)
                          : dnnl::inner_product_backward_weights::desc(m.src, m.user_weights, m.dst);
    dnnl::inner_product_backward_weights::primitive_desc pd(d, user_scratchpad(), cpu_engine(), hint);
    std::vector<std::pair<int, memory>> args{
        {DNNL_ARG_SRC, prog_.user(m.src, Slot::src, 0)},
        {DNNL_ARG_DIFF_DST, prog_.user(m.dst, Slot::diff_dst)},
        {DNNL_ARG_DIFF_WEIGHTS, prog_.user(m.user_weights, Slot::diff_weights, 0)}};
    if (a.bias) args.emplace_back(DNNL_ARG_DIFF_BIAS, prog_.user(m.bias, Slot::diff_weights, 1, /*fallback=*/true));
    prog_.add(dnnl::inner_product_backward_weights(pd), pd, std::move(args));
  }

  void execute(const KernelArgs& args) const override {
    const bool want_w = !args.diff_weights.empty() && args.diff_weights[0];
    const bool want_b = bias_ && args.diff_weights.size() > 1 && args.diff_weights[1];
    if (want_w) return prog_.bind_and_run(args);
    if (!want_b) return;
    float* db = args.diff_weights[1].as<float>();
    for (int64_t o = 0; o < OUT_; ++o) db[o] = 0;
    const auto sum_rows = [&](const auto* dy, auto load) {
      for (int64_t n = 0; n < N_; ++n)
        for (int64_t o = 0; o < OUT_; ++o) db[o] += load(dy[n * OUT_ + o]);
    };
    if (args.diff_dst.dtype == DType::bf16)
      sum_rows(args.diff_dst.as<bf16>(), [](bf16 v) { return to_float(v); });
    else
      sum_rows(args.diff_dst.as<float>(), [](float v) { return v; });
  }

 private:
  bool bias_;
  int64_t N_, OUT_;
};

}  // namespace

std::unique_ptr<ProgramKernel> make_linear(const LinearAttrs& a, const KernelProblem& p, std::string& why_not) {
  if (p.src.size() != 1 || p.src[0].rank() != 2) {
    why_not = "Linear expects one 2-D input";
    return nullptr;
  }
  switch (p.pass) {
    case Pass::fwd: return std::make_unique<LinearFwd>(a, p);
    case Pass::bwd_data: return std::make_unique<LinearBwdData>(a, p);
    case Pass::bwd_weights: return std::make_unique<LinearBwdWeights>(a, p);
  }
  return nullptr;
}

}  // namespace edgetrain::onednn
