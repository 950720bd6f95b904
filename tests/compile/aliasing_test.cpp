// Aliasing pass: which outputs are written over an input, which gradients over the output's.
#include <gtest/gtest.h>

#include "compile/aliasing.hpp"
#include "small_graphs.hpp"

namespace edgetrain::compiler::test {
namespace {

Layouts plain_layouts(const CompileContext& c) {
  Layouts l;
  l.values.assign(c.graph.values.size(), Layout::plain);
  l.params.assign(c.graph.params.size(), ParamLayout{});
  l.fusion = choose_fusions(c.graph, c.facts, l.values, std::vector<bool>(c.graph.nodes.size(), true), c.options);
  return l;
}

TEST(Aliasing, AnAddWritesOverABranchNoOneReadsAgain) {
  const Graph g = residual();
  const CompileOptions o = options();
  const CompileContext c = context(g, o);
  const Aliasing a = choose_aliasing(c, plain_layouts(c));
  // bn_a's output is read by the add only, and no backward reads it.
  EXPECT_EQ(a.forward_over[static_cast<size_t>(g.find_node("add"))], output_of(g, "bn_a"));
  // Convolutions never run in place.
  EXPECT_EQ(a.forward_over[static_cast<size_t>(g.find_node("conv_a"))], -1);
}

TEST(Aliasing, TrainingKeepsWhatABackwardReadsInferenceDoesNot) {
  const Graph g = plain_stack();
  CompileOptions train = options(), infer = options();
  infer.training = false;
  const CompileContext ct = context(g, train), ci = context(g, infer);
  // BatchNorm's backward reads its input: in training its output cannot take the input's bytes.
  const size_t bn1 = static_cast<size_t>(g.find_node("bn1"));
  EXPECT_EQ(choose_aliasing(ct, plain_layouts(ct)).forward_over[bn1], -1);
  EXPECT_EQ(choose_aliasing(ci, plain_layouts(ci)).forward_over[bn1], output_of(g, "conv1"));
}

TEST(Aliasing, NeverOverTheGraphInputNorAcrossLayouts) {
  GraphBuilder b(Shape{16, 4, 4});
  int x = b.relu("relu_in", b.input());  // in place, but over the caller's batch: no
  x = b.relu("relu_mid", b.conv("conv", x, 16, 1));
  const Graph g = b.finish(b.linear("fc", b.flatten("flat", b.global_avg_pool("gap", x)), 2));
  CompileOptions o = options();
  o.training = false;
  const CompileContext c = context(g, o);
  Layouts l = plain_layouts(c);
  EXPECT_EQ(choose_aliasing(c, l).forward_over[static_cast<size_t>(g.find_node("relu_in"))], -1);
  EXPECT_EQ(choose_aliasing(c, l).forward_over[static_cast<size_t>(g.find_node("relu_mid"))], output_of(g, "conv"));
  l.values[static_cast<size_t>(output_of(g, "conv"))] = Layout::blocked16;
  EXPECT_EQ(choose_aliasing(c, l).forward_over[static_cast<size_t>(g.find_node("relu_mid"))], -1);
}

TEST(Aliasing, BackwardInPlaceForElementwiseOpsUnlessInspecting) {
  const Graph g = plain_stack();
  CompileOptions inspect = options();
  inspect.backward_in_place = false;
  const CompileContext c = context(g, options()), ci = context(g, inspect);
  const size_t relu = static_cast<size_t>(g.find_node("relu1")), conv = static_cast<size_t>(g.find_node("conv2"));
  EXPECT_TRUE(choose_aliasing(c, plain_layouts(c)).backward_in_place[relu]);
  EXPECT_FALSE(choose_aliasing(c, plain_layouts(c)).backward_in_place[conv]);
  EXPECT_FALSE(choose_aliasing(ci, plain_layouts(ci)).backward_in_place[relu]);
}

}  // namespace
}  // namespace edgetrain::compiler::test
