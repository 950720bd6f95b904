// Layout assignment pass: kernels propose, declines demote, and only changed problems are asked again.
#include <gtest/gtest.h>

#include "compile/layout_assignment.hpp"
#include "small_graphs.hpp"

namespace edgetrain::compiler::test {
namespace {

Layout layout_of(const Graph& g, const LayoutAssignment& a, std::string_view node) {
  return a.layouts.values[static_cast<size_t>(output_of(g, node))];
}

TEST(LayoutAssignment, BlockableActivationsStayBlockedTheInputAndAViewsInputPlain) {
  const Graph g = plain_stack(16);
  const CompileContext c = context(g, options());
  KernelChoice kernels(c.options.backend);
  const LayoutAssignment a = assign_layouts(c, kernels);
  EXPECT_EQ(a.layouts.values[static_cast<size_t>(g.input)], Layout::plain);
  EXPECT_EQ(layout_of(g, a, "conv1"), Layout::blocked16);
  EXPECT_EQ(layout_of(g, a, "relu2"), Layout::blocked16);
  EXPECT_EQ(layout_of(g, a, "gap"), Layout::plain) << "read by Flatten, a view of row-major bytes";
  EXPECT_TRUE(a.layouts.fusion.is_fused(g.find_node("relu1")));
  // conv2's forward kernel would rather have its weight blocked: it takes that layout.
  const int conv2_weight = g.nodes[static_cast<size_t>(g.find_node("conv2"))].params[0];
  EXPECT_FALSE(a.layouts.params[static_cast<size_t>(conv2_weight)].plain());
  EXPECT_GT(a.rounds, 1);
}

// 10 channels are blocked with 6 padding lanes (core/layout.hpp); 6 channels would need 10, more than
// the tensor's own: they stay plain, as everything does on the reference backend.
TEST(LayoutAssignment, PaddedChannelCountsBlockTooNarrowOnesAndTheReferenceBackendArePlain) {
  const Graph padded_stack = plain_stack(10);
  const CompileContext cp = context(padded_stack, options());
  KernelChoice padded_kernels(cp.options.backend);
  const LayoutAssignment p = assign_layouts(cp, padded_kernels);
  EXPECT_EQ(layout_of(padded_stack, p, "conv1"), Layout::blocked16);
  EXPECT_EQ(layout_of(padded_stack, p, "relu2"), Layout::blocked16);
  EXPECT_EQ(layout_of(padded_stack, p, "gap"), Layout::plain) << "read by Flatten, a view of row-major bytes";

  const Graph narrow = plain_stack(6);
  const CompileContext c = context(narrow, options());
  KernelChoice kernels(c.options.backend);
  const LayoutAssignment a = assign_layouts(c, kernels);
  for (Layout l : a.layouts.values) EXPECT_EQ(l, Layout::plain);

  const Graph g = plain_stack(16);
  CompileOptions ref = options();
  ref.backend = KernelBackend::reference;
  const CompileContext cr = context(g, ref);
  KernelChoice ref_kernels(ref.backend);
  const LayoutAssignment r = assign_layouts(cr, ref_kernels);
  for (Layout l : r.layouts.values) EXPECT_EQ(l, Layout::plain);
  for (const ParamLayout& l : r.layouts.params) EXPECT_TRUE(l.plain());
  EXPECT_EQ(r.rounds, 1);
}

TEST(LayoutAssignment, AStepNoKernelTakesBlockedDemotesItsValuesAndOnlyTheChangedStepsAreAskedAgain) {
  const Graph g = squeeze_excite(16);
  const CompileContext c = context(g, options());
  KernelChoice kernels(c.options.backend);
  const LayoutAssignment a = assign_layouts(c, kernels);
  // HardSigmoid runs only on plain layouts: its input and output are demoted; the gate it feeds runs
  // on blocked layouts (a [N, C, 1, 1] gate has the same bytes in both), so the stream stays blocked.
  EXPECT_EQ(layout_of(g, a, "se_gate"), Layout::plain);
  EXPECT_EQ(layout_of(g, a, "se_expand"), Layout::plain);
  EXPECT_EQ(layout_of(g, a, "excite"), Layout::blocked16);
  EXPECT_EQ(layout_of(g, a, "relu0"), Layout::blocked16);
  EXPECT_GT(a.rounds, 1);
  // Every round walks every step, but a kernel is selected only for a problem not seen before.
  const size_t steps = kernel_steps(c, a.layouts.fusion).size();
  EXPECT_LT(static_cast<size_t>(kernels.selections()), steps * static_cast<size_t>(a.rounds));
  // Asking again with the same answers selects nothing new.
  const int before = kernels.selections();
  const LayoutAssignment again = assign_layouts(c, kernels);
  EXPECT_EQ(kernels.selections(), before);
  EXPECT_EQ(again.layouts.values, a.layouts.values);
  EXPECT_EQ(again.rounds, a.rounds);
}

TEST(LayoutAssignment, KernelStepsAreTheForwardThenTheBackwardLastNodeFirst) {
  const Graph g = plain_stack(16);
  const CompileContext c = context(g, options());
  KernelChoice kernels(c.options.backend);
  const LayoutAssignment a = assign_layouts(c, kernels);
  const std::vector<StepId> steps = kernel_steps(c, a.layouts.fusion);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps.front().node, g.find_node("conv1"));
  EXPECT_EQ(steps.front().pass, Pass::fwd);
  EXPECT_EQ(steps.back().node, g.find_node("conv1"));
  EXPECT_EQ(steps.back().pass, Pass::bwd_weights);
  for (const StepId& s : steps) {
    EXPECT_NE(s.node, g.find_node("flatten")) << "a view runs no step";
    EXPECT_NE(s.node, g.find_node("relu1")) << "a fused activation runs no step";
  }
}

}  // namespace
}  // namespace edgetrain::compiler::test
