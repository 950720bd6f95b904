// Per-op declarations; each op defines its overloads in src/ops/<op>.cpp. Ops that have no
// parameters, state or saved extras fall back to the generic defaults at the end.
#pragma once
#include "ops/op.hpp"

namespace edgetrain::op_def {

// --- shape inference (every op) ---
Shape infer(const Conv2dAttrs&, std::span<const Shape>);
Shape infer(const BatchNormAttrs&, std::span<const Shape>);
Shape infer(const ReluAttrs&, std::span<const Shape>);
Shape infer(const Relu6Attrs&, std::span<const Shape>);
Shape infer(const MaxPoolAttrs&, std::span<const Shape>);
Shape infer(const AvgPoolAttrs&, std::span<const Shape>);
Shape infer(const GlobalAvgPoolAttrs&, std::span<const Shape>);
Shape infer(const LinearAttrs&, std::span<const Shape>);
Shape infer(const AddAttrs&, std::span<const Shape>);
Shape infer(const ConcatAttrs&, std::span<const Shape>);
Shape infer(const FlattenAttrs&, std::span<const Shape>);
Shape infer(const DropoutAttrs&, std::span<const Shape>);
Shape infer(const SoftmaxCrossEntropyAttrs&, std::span<const Shape>);
Shape infer(const PointwiseAttrs&, std::span<const Shape>);
Shape infer(const MulAttrs&, std::span<const Shape>);
Shape infer(const ChannelSliceAttrs&, std::span<const Shape>);
Shape infer(const ChannelShuffleAttrs&, std::span<const Shape>);

// --- backward reads (every op) ---
BackwardReads reads(const Conv2dAttrs&, Pass);
BackwardReads reads(const BatchNormAttrs&, Pass);
BackwardReads reads(const ReluAttrs&, Pass);
BackwardReads reads(const Relu6Attrs&, Pass);
BackwardReads reads(const MaxPoolAttrs&, Pass);
BackwardReads reads(const AvgPoolAttrs&, Pass);
BackwardReads reads(const GlobalAvgPoolAttrs&, Pass);
BackwardReads reads(const LinearAttrs&, Pass);
BackwardReads reads(const AddAttrs&, Pass);
BackwardReads reads(const ConcatAttrs&, Pass);
BackwardReads reads(const FlattenAttrs&, Pass);
BackwardReads reads(const DropoutAttrs&, Pass);
BackwardReads reads(const SoftmaxCrossEntropyAttrs&, Pass);
BackwardReads reads(const PointwiseAttrs&, Pass);
BackwardReads reads(const MulAttrs&, Pass);
BackwardReads reads(const ChannelSliceAttrs&, Pass);
BackwardReads reads(const ChannelShuffleAttrs&, Pass);

// --- parameters, state, saved extras, cost (where an op has them) ---
std::vector<ParamSpec> params(const Conv2dAttrs&);
std::vector<ParamSpec> params(const BatchNormAttrs&);
std::vector<ParamSpec> params(const LinearAttrs&);
std::vector<StateSpec> states(const BatchNormAttrs&);
std::vector<AuxSpec> aux(const BatchNormAttrs&, std::span<const Shape>, const Shape&, bool training);
std::vector<AuxSpec> aux(const MaxPoolAttrs&, std::span<const Shape>, const Shape&, bool training);
std::vector<AuxSpec> aux(const DropoutAttrs&, std::span<const Shape>, const Shape&, bool training);
std::vector<AuxSpec> aux(const SoftmaxCrossEntropyAttrs&, std::span<const Shape>, const Shape&, bool training);
int64_t macs(const Conv2dAttrs&, std::span<const Shape>, const Shape&);
int64_t macs(const LinearAttrs&, std::span<const Shape>, const Shape&);
std::string problem(const Conv2dAttrs&, std::span<const Shape>, const Shape&);

template <class A> std::vector<ParamSpec> params(const A&) { return {}; }
template <class A> std::vector<StateSpec> states(const A&) { return {}; }
template <class A> std::vector<AuxSpec> aux(const A&, std::span<const Shape>, const Shape&, bool) { return {}; }
template <class A> int64_t macs(const A&, std::span<const Shape>, const Shape&) { return 0; }
template <class A> std::string problem(const A&, std::span<const Shape> src, const Shape& dst) {
  std::string s;
  for (const Shape& x : src) s += x.str();
  return s + "->" + dst.str();
}

// Helpers shared by the op definitions.
void expect_inputs(std::string_view op, std::span<const Shape> src, size_t count, int rank);
int64_t pooled_size(int64_t in, int kernel, int stride, int pad, int dilation, bool ceil_mode);
// Kernel and stride positive, padding non-negative and at most half the kernel.
void expect_pool_geometry(std::string_view op, int kh, int kw, int sh, int sw, int ph, int pw);

}  // namespace edgetrain::op_def
