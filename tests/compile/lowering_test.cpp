// Lowering pass: the steps in order, the buffers they share, the kernels layout assignment chose.
#include <gtest/gtest.h>

#include "compile/layout_assignment.hpp"
#include "compile/lowering.hpp"
#include "small_graphs.hpp"

namespace edgetrain::compiler::test {
namespace {

struct Lowered {
  Graph graph;
  CompileOptions options;
  Plan plan;
  int selections_before_lowering = 0, selections_after_lowering = 0;
};

Lowered lowered(Graph g, CompileOptions o) {
  Lowered r{std::move(g), std::move(o), {}, 0, 0};
  const CompileContext c = context(r.graph, r.options);
  KernelChoice kernels(r.options.backend);
  const LayoutAssignment a = assign_layouts(c, kernels);
  r.selections_before_lowering = kernels.selections();
  r.plan = lower(c, a.layouts, choose_aliasing(c, a.layouts), kernels);
  r.selections_after_lowering = kernels.selections();
  return r;
}

std::vector<std::string> step_names(const Plan& p) {
  std::vector<std::string> names;
  for (const Step& s : p.steps)
    names.push_back(s.kind == StepKind::kernel ? s.name + ":" + std::string(pass_name(s.pass)) : s.op + ":" + s.name);
  return names;
}

TEST(Lowering, TheStepsOfAStackInOrderWithEachNodesUpdatesAfterItsBackward) {
  const Lowered l = lowered(plain_stack(16), options());
  // clang-format off
  const std::vector<std::string> expected = {
      "conv1:fwd", "bn1:fwd", "conv2:fwd", "bn2:fwd", "gap:fwd", "fc:fwd", "loss:fwd",
      "loss:bwd_data", "fc:bwd_data", "fc:bwd_weights", "Update:fc.weight", "Update:fc.bias",
      "gap:bwd_data", "bn2:bwd_data", "Update:bn2.weight", "Update:bn2.bias",
      "conv2:bwd_data", "conv2:bwd_weights", "Update:conv2.weight",
      "bn1:bwd_data", "Update:bn1.weight", "Update:bn1.bias", "conv1:bwd_weights", "Update:conv1.weight"};
  // clang-format on
  EXPECT_EQ(step_names(l.plan), expected);
  EXPECT_EQ(l.selections_after_lowering, l.selections_before_lowering) << "lowering reuses the chosen kernels";
}

TEST(Lowering, AFusedActivationAndAViewShareTheirInputsBuffer) {
  const Lowered l = lowered(plain_stack(16), options());
  const Graph& g = l.graph;
  const auto buffer = [&](std::string_view node) {
    return l.plan.value_buffers[static_cast<size_t>(output_of(g, node))];
  };
  EXPECT_EQ(buffer("bn1"), buffer("relu1"));
  EXPECT_EQ(buffer("gap"), buffer("flatten"));
  EXPECT_NE(buffer("conv1"), buffer("bn1")) << "BatchNorm's backward reads its input: not in place in training";
}

TEST(Lowering, AValueWithTwoReadersAccumulatesItsGradient) {
  const Lowered l = lowered(residual(16), options());
  int accumulates = 0;
  for (const Step& s : l.plan.steps)
    if (s.kind == StepKind::accumulate) {
      ++accumulates;
      EXPECT_EQ(s.name, l.graph.values[static_cast<size_t>(output_of(l.graph, "stem_relu"))].name);
    }
  EXPECT_EQ(accumulates, 1);
}

TEST(Lowering, AdamUpdatesReadBothOptimizerSlotsOfTheirParameter) {
  CompileOptions o = options();
  o.optimizer.kind = optim::OptimizerKind::adam;
  const Lowered l = lowered(plain_stack(16), o);
  int updates = 0;
  for (const Step& s : l.plan.steps) {
    if (s.kind != StepKind::update) continue;
    ++updates;
    ASSERT_EQ(s.refs.state.size(), 2u);
    for (int k = 0; k < 2; ++k) {
      EXPECT_EQ(s.refs.state[static_cast<size_t>(k)].space, TensorRef::Space::opt_state);
      EXPECT_EQ(s.refs.state[static_cast<size_t>(k)].index, s.param);
      EXPECT_EQ(s.refs.state[static_cast<size_t>(k)].slot, k);
    }
  }
  EXPECT_EQ(updates, static_cast<int>(l.graph.params.size()));
}

TEST(Lowering, InferenceRunsTheForwardOnly) {
  CompileOptions o = options();
  o.training = false;
  const Lowered l = lowered(plain_stack(16), o);
  for (const Step& s : l.plan.steps) {
    EXPECT_EQ(s.kind, StepKind::kernel);
    EXPECT_EQ(s.pass, Pass::fwd);
  }
  for (int b : l.plan.param_grad_buffers) EXPECT_EQ(b, -1);
}

}  // namespace
}  // namespace edgetrain::compiler::test
