// The fast-backend-against-reference harness shared by the kernel tests: a chain of passes through one
// backend (oneDNN by default, or the native loops), and the comparison of every output that backend
// computed with the reference chain's.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "kernels/onednn/onednn_kernels.hpp"
#include "kernels/registry.hpp"
#include "op_harness.hpp"

namespace edgetrain::test {

struct Tol {
  double out = 1e-4, grad_src = 1e-4, grad_weights = 1e-4;
};

using Factory = std::unique_ptr<Kernel> (*)(const KernelProblem&, std::string&);

// Output buffers start at this value; any element a kernel fails to write shows up in the comparison.
constexpr double kGarbage = 1234.5;

inline void fill_garbage(Tensor& t) {
  for (int64_t i = 0; i < t.numel(); ++i) t.set(i, t.view.dtype == DType::i32 ? -7 : kGarbage);
}

struct Chain {
  std::unique_ptr<OpHarness> h;
  std::vector<std::string> impls;
  // oneDNN declined a problem with a blocked side because it has only its naive kernel there: compile()
  // would demote the blocked side to plain and the reference would run it (OnednnVsRef checks that).
  bool demoted = false;
  // Passes the backend declined on purpose (the reference runs them): what they write is the reference's
  // own result, so comparing it with the reference chain would compare the reference with itself.
  std::vector<Pass> by_reference;
  bool ran_onednn(Pass p) const { return std::find(by_reference.begin(), by_reference.end(), p) == by_reference.end(); }
};

// How the oneDNN chain runs: on plain tensors; with every tensor that can be blocked16 in that layout
// (converted in before and back out after, see core/layout.hpp); the same with the node's weight
// gradients written by bwd_data (weight_grads_in_bwd_data, no bwd_weights pass).
enum class Mode { plain, blocked, blocked_fused };

inline Layout layout_for(const Shape& s, Mode mode) {
  return mode != Mode::plain && blockable(s) ? Layout::blocked16 : Layout::plain;
}

// Converts t between layouts. A padded blocked16 tensor (C not a multiple of 16) gets a buffer of its
// stored size with kGarbage in its padding lanes: kernels must ignore them (and write their own).
inline void relayout_in_place(Tensor& t, Layout from, Layout to) {
  if (from == to || t.view.dtype != DType::f32) return;
  const Shape& s = t.view.shape;
  std::vector<float> copy(t.view.as<float>(), t.view.as<float>() + storage_numel(s, from));
  const auto stored = static_cast<std::size_t>(storage_numel(s, to));
  if (t.buffer.size() < stored * sizeof(float)) {
    t.buffer.resize(stored * sizeof(float));
    t.view.data = t.buffer.data();
  }
  std::fill_n(t.view.as<float>(), stored, static_cast<float>(kGarbage));
  relayout(copy.data(), from, t.view.as<float>(), to, s[0], s[1], s.numel_from(2));
}

// Runs problem p once on the harness's tensors with the kernel `make` gives (a failure if it declines).
inline void execute_pass(Factory make, const KernelProblem& p, const OpHarness& h) {
  std::string why;
  std::unique_ptr<Kernel> k = make(p, why);
  ASSERT_NE(k, nullptr) << pass_name(p.pass) << ": " << why;
  AlignedBuffer scratch(k->scratch_bytes());
  KernelArgs a = h.args();
  a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
  k->execute(a);
}

// Builds a harness with deterministic inputs and runs the passes with `make`.
inline Chain run_chain(const Attrs& attrs, const std::vector<Shape>& shapes, bool training, Factory make, Fill how,
                       const std::vector<bool>& frozen, Mode mode = Mode::plain) {
  Chain c;
  c.h = std::make_unique<OpHarness>(attrs, shapes, DType::f32, training);
  OpHarness& h = *c.h;
  h.fill(42, how);
  h.frozen = frozen;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, u(rng));
  fill_garbage(h.dst);
  for (Tensor& t : h.aux) fill_garbage(t);
  for (Tensor& t : h.diff_src) fill_garbage(t);
  for (Tensor& t : h.diff_weights) fill_garbage(t);

  const bool backward = training || is<BatchNormAttrs>(attrs);  // frozen BN still has a backward
  const bool fused = mode == Mode::blocked_fused;
  std::vector<Pass> passes{Pass::fwd};
  if (backward) passes.push_back(Pass::bwd_data);
  if (backward && h.has_params() && !fused) passes.push_back(Pass::bwd_weights);
  std::vector<Layout> src_layout;
  for (size_t i = 0; i < h.src.size(); ++i) {
    src_layout.push_back(layout_for(h.src[i].view.shape, mode));
    relayout_in_place(h.src[i], Layout::plain, src_layout[i]);
  }
  const Layout dst_layout = layout_for(h.dst.view.shape, mode);
  relayout_in_place(h.diff_dst, Layout::plain, dst_layout);
  relayout_in_place(h.dst, Layout::plain, dst_layout);  // outputs: garbage, at their stored size
  for (size_t i = 0; i < h.diff_src.size(); ++i) relayout_in_place(h.diff_src[i], Layout::plain, src_layout[i]);
  auto problem = [&](Pass pass) {
    KernelProblem p = h.problem(pass);
    p.src_layout = src_layout;
    p.dst_layout = dst_layout;
    p.weight_grads_in_bwd_data = fused && pass == Pass::bwd_data;
    return p;
  };
  for (Pass pass : passes) {
    std::string why;
    std::unique_ptr<Kernel> k = make(problem(pass), why);
    if (!k && make != &make_ref_kernel && mode != Mode::plain && why.find("naive kernel") != std::string::npos) {
      c.impls.push_back("demoted, declined: " + why);
      c.demoted = true;
      return c;
    }
    if (!k && make != &make_ref_kernel) {
      // Declined: the registry would run the reference for this pass (passes of a node may mix
      // where the aux tensors are canonical). Recorded, so compare() can tell a designed decline.
      c.impls.push_back("ref, declined: " + why);
      c.by_reference.push_back(pass);
      k = make_ref_kernel(problem(pass), why);
    } else if (k) {
      c.impls.emplace_back(k->impl_name());
    }
    if (!k) {
      ADD_FAILURE() << "declined " << op_name(attrs) << " " << pass_name(pass) << ": " << why;
      return c;
    }
    AlignedBuffer scratch(k->scratch_bytes());
    KernelArgs a = h.args();
    a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
    k->execute(a);
    k->execute(a);  // a second execution must give the same result (no state carried between runs)...
    if (pass == Pass::fwd && !h.state.empty() && training) {
      // ...except the running statistics, which a training forward updates each time: undo one update
      // by running the chain's state from a fresh copy (compare after exactly one update).
      OpHarness fresh(attrs, shapes, DType::f32, training);
      fresh.fill(42, how);
      for (size_t i = 0; i < h.state.size(); ++i)
        for (int64_t j = 0; j < h.state[i].numel(); ++j) h.state[i].set(j, fresh.state[i].get(j));
      k->execute(a);
    }
  }
  relayout_in_place(h.dst, dst_layout, Layout::plain);
  for (size_t i = 0; i < h.diff_src.size(); ++i) relayout_in_place(h.diff_src[i], src_layout[i], Layout::plain);
  return c;
}

inline void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.numel(), want.numel()) << what;
  double scale = 1e-6, err = 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::abs(want.get(i)));
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double e = std::abs(got.get(i) - want.get(i));
    if (!(e <= err)) err = e, worst = i;  // NaN-safe
  }
  EXPECT_LE(err / scale, tol) << what << ": worst element " << worst << " got " << got.get(worst) << " want "
                              << want.get(worst) << " (scale " << scale << ")";
}

inline void compare(const Attrs& attrs, const std::vector<Shape>& shapes, bool training = true,
                    Fill how = Fill::uniform, Tol tol = {}, const std::vector<bool>& frozen = {},
                    Mode mode = Mode::plain, Factory fast = &make_onednn_kernel) {
  SCOPED_TRACE(fmt::format("{} {} {} {}", op_name(attrs), problem_string(attrs, shapes, infer_shape(attrs, shapes)),
                           training ? "training" : "frozen/eval",
                           mode == Mode::plain     ? "plain"
                           : mode == Mode::blocked ? "blocked"
                                                   : "blocked, fused"));
  Chain ref = run_chain(attrs, shapes, training, &make_ref_kernel, how, frozen);
  Chain dnn = run_chain(attrs, shapes, training, fast, how, frozen, mode);
  // The backend runs every pass, except where oneDNN declines on purpose because the reference is faster.
  const std::string backend = fast == &make_native_kernel ? "native" : "onednn";
  for (const std::string& impl : dnn.impls)
    EXPECT_TRUE(impl == backend || impl.find("the reference is faster") != std::string::npos ||
                impl.starts_with("demoted, declined: oneDNN has only its naive kernel"))
        << impl;
  if (dnn.demoted) return;
  const OpHarness &r = *ref.h, &d = *dnn.h;
  const bool backward = training || is<BatchNormAttrs>(attrs);
  // Only what the backend computed is compared (a declined pass's outputs are the reference's own); a case
  // where oneDNN computes nothing would test nothing.
  const bool fused = mode == Mode::blocked_fused;
  const bool check_fwd = dnn.ran_onednn(Pass::fwd);
  const bool check_src = backward && dnn.ran_onednn(Pass::bwd_data);
  const bool check_weights = backward && (fused ? dnn.ran_onednn(Pass::bwd_data) : dnn.ran_onednn(Pass::bwd_weights)) &&
                             !r.diff_weights.empty();
  EXPECT_TRUE(check_fwd || check_src || check_weights) << "the backend declined every pass: the case compares nothing";
  if (check_fwd) {
    expect_close(d.dst, r.dst, tol.out, "dst");
    for (size_t i = 0; i < r.state.size(); ++i)
      expect_close(d.state[i], r.state[i], tol.out, fmt::format("state[{}]", i));
    if (!is<MaxPoolAttrs>(attrs))
      for (size_t i = 0; i < r.aux.size(); ++i) expect_close(d.aux[i], r.aux[i], tol.out, fmt::format("aux[{}]", i));
  }
  if (check_src)
    for (size_t i = 0; i < r.diff_src.size(); ++i)
      expect_close(d.diff_src[i], r.diff_src[i], tol.grad_src, fmt::format("diff_src[{}]", i));
  if (check_weights)
    for (size_t i = 0; i < r.diff_weights.size(); ++i) {
      if (frozen.size() > i && frozen[i]) continue;
      expect_close(d.diff_weights[i], r.diff_weights[i], tol.grad_weights, fmt::format("diff_weights[{}]", i));
    }
}

// Blocked16 activations (and their gradients) kept between steps: every op the blocked backend runs,
// over the tables' shapes with multiples of 16 channels (a tensor without them stays plain, so mixed
// problems such as a 3-channel first layer writing a blocked output are covered too).
inline void compare_blocked(const Attrs& attrs, const std::vector<Shape>& shapes, bool training = true,
                            Fill how = Fill::uniform, Tol tol = {}, const std::vector<bool>& frozen = {},
                            Factory fast = &make_onednn_kernel) {
  compare(attrs, shapes, training, how, tol, frozen, Mode::blocked, fast);
}

// A ReLU / ReLU6 fused into a convolution or a BatchNorm (KernelProblem::fused_activation) against the
// reference op followed by the activation: forward act(op(x)); backward the op's gradients of
// dy masked where the activation's output leaves (0, hi) — what the reference ReLU / ReLU6 backward
// computes. The fused backward passes get the unmasked dy and the activation's output as dst.
inline void compare_fused(const Attrs& attrs, const Shape& x, Activation act, Mode mode,
                          Factory fast = &make_onednn_kernel) {
  SCOPED_TRACE(fmt::format("{} {} {} {}", op_name(attrs), x.str(), act == Activation::relu ? "ReLU" : "ReLU6",
                           mode == Mode::plain ? "plain" : "blocked"));
  const double hi = act == Activation::relu6 ? 6.0 : INFINITY;
  auto incoming = [](OpHarness& h) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int64_t i = 0; i < h.diff_dst.numel(); ++i) h.diff_dst.set(i, u(rng));
  };
  OpHarness r(attrs, {x}, DType::f32, true);  // the reference chain
  r.fill(42);
  incoming(r);
  r.fwd();
  for (int64_t i = 0; i < r.dst.numel(); ++i) {
    const double y = std::min(std::max(r.dst.get(i), 0.0), hi);
    r.dst.set(i, y);
    if (!(y > 0.0 && y < hi)) r.diff_dst.set(i, 0.0);
  }
  r.bwd_data();
  r.bwd_weights();

  OpHarness d(attrs, {x}, DType::f32, true);  // oneDNN, fused
  d.fill(42);
  incoming(d);
  fill_garbage(d.dst);
  for (Tensor& t : d.diff_src) fill_garbage(t);
  for (Tensor& t : d.diff_weights) fill_garbage(t);
  const Layout src_layout = layout_for(x, mode), dst_layout = layout_for(d.dst.view.shape, mode);
  relayout_in_place(d.src[0], Layout::plain, src_layout);
  relayout_in_place(d.diff_dst, Layout::plain, dst_layout);
  relayout_in_place(d.dst, Layout::plain, dst_layout);  // outputs: garbage, at their stored size
  relayout_in_place(d.diff_src[0], Layout::plain, src_layout);
  for (Pass pass : {Pass::fwd, Pass::bwd_data, Pass::bwd_weights}) {
    KernelProblem p = d.problem(pass);
    p.src_layout = {src_layout};
    p.dst_layout = dst_layout;
    p.fused_activation = act;
    execute_pass(fast, p, d);
  }
  relayout_in_place(d.dst, dst_layout, Layout::plain);
  relayout_in_place(d.diff_src[0], src_layout, Layout::plain);
  expect_close(d.dst, r.dst, 1e-5, "dst");
  expect_close(d.diff_src[0], r.diff_src[0], 1e-4, "diff_src");
  for (size_t i = 0; i < r.diff_weights.size(); ++i)
    expect_close(d.diff_weights[i], r.diff_weights[i], 1e-3, fmt::format("diff_weights[{}]", i));
}

// Convolution cases (the kernel tests of several ops use them).
struct ConvCase {
  Shape x;
  int64_t oc;
  int kh, kw, sh, sw, ph, pw, dh, dw, groups;
  bool bias;
};

inline Conv2dAttrs conv_attrs(const ConvCase& c) {
  Conv2dAttrs a;
  a.in_channels = c.x[1], a.out_channels = c.oc;
  a.kernel_h = c.kh, a.kernel_w = c.kw, a.stride_h = c.sh, a.stride_w = c.sw;
  a.pad_h = c.ph, a.pad_w = c.pw, a.dilation_h = c.dh, a.dilation_w = c.dw;
  a.groups = c.groups, a.bias = c.bias;
  return a;
}

inline const ConvCase kConvCases[] = {
    {{2, 3, 9, 11}, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},       // odd sizes, first-layer channels
    {{1, 16, 15, 15}, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, true},    // batch 1, stride 2
    {{2, 8, 13, 10}, 8, 3, 3, 1, 1, 2, 2, 2, 2, 1, false},     // dilation 2
    {{2, 8, 12, 12}, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2, true},      // grouped 2
    {{3, 16, 9, 9}, 32, 1, 1, 1, 1, 0, 0, 1, 1, 4, false},     // grouped 4, pointwise
    {{2, 16, 14, 14}, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16, false},  // depthwise
    {{2, 16, 15, 15}, 16, 3, 3, 2, 2, 1, 1, 1, 1, 16, true},   // depthwise stride 2
    {{1, 8, 11, 11}, 16, 5, 5, 1, 1, 2, 2, 1, 1, 8, true},     // depthwise, multiplier 2
    {{2, 4, 17, 17}, 5, 7, 7, 2, 2, 3, 3, 1, 1, 1, true},      // 7x7 stride 2, odd channels
    {{1, 32, 7, 7}, 64, 1, 1, 2, 2, 0, 0, 1, 1, 1, false},     // projection shortcut
    {{2, 5, 10, 10}, 7, 3, 5, 1, 2, 1, 2, 2, 1, 1, true},      // asymmetric kernel/stride/pad/dilation
    {{2, 64, 8, 8}, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},      // a ResNet block, small
};

}  // namespace edgetrain::test
