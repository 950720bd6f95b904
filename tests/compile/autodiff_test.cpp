// Autodiff pass: what trains, what needs a gradient, which backward passes run, what they read.
#include <gtest/gtest.h>

#include "small_graphs.hpp"

namespace edgetrain::compiler::test {
namespace {

TEST(Autodiff, EveryNodeOfAFullyTrainedStackRunsBackwardButTheFirstNeedsNoDataGradient) {
  const Graph g = plain_stack();
  const Autodiff a = differentiate(g, options());
  const NodeBackward& conv1 = a.nodes[static_cast<size_t>(g.find_node("conv1"))];
  EXPECT_TRUE(conv1.runs);
  EXPECT_FALSE(conv1.bwd_data) << "the input needs no gradient";
  EXPECT_TRUE(conv1.bwd_weights);
  const NodeBackward& conv2 = a.nodes[static_cast<size_t>(g.find_node("conv2"))];
  EXPECT_TRUE(conv2.bwd_data);
  EXPECT_TRUE(conv2.bwd_weights);
  EXPECT_FALSE(conv2.weight_grads_in_bwd_data);
  // BatchNorm's bwd_data computes its weight gradients' reductions anyway: no bwd_weights of its own.
  const NodeBackward& bn1 = a.nodes[static_cast<size_t>(g.find_node("bn1"))];
  EXPECT_TRUE(bn1.bwd_data);
  EXPECT_TRUE(bn1.weight_grads_in_bwd_data);
  EXPECT_FALSE(bn1.bwd_weights);
  EXPECT_FALSE(a.requires_grad[static_cast<size_t>(g.input)]);
  EXPECT_FALSE(a.requires_grad[static_cast<size_t>(g.labels)]);
  EXPECT_TRUE(a.requires_grad[static_cast<size_t>(g.logits)]);
}

TEST(Autodiff, AFrozenPrefixRunsNoBackwardAtAll) {
  const Graph g = plain_stack();
  CompileOptions o = options();
  o.trainable = parse_trainable("classifier");
  const Autodiff a = differentiate(g, o);
  const int fc = g.find_node("fc");
  for (int n = 0; n < fc; ++n) {
    EXPECT_FALSE(a.nodes[static_cast<size_t>(n)].runs) << g.nodes[static_cast<size_t>(n)].name;
    EXPECT_FALSE(a.requires_grad[static_cast<size_t>(g.nodes[static_cast<size_t>(n)].output)]);
  }
  EXPECT_TRUE(a.nodes[static_cast<size_t>(fc)].bwd_weights);
  EXPECT_FALSE(a.nodes[static_cast<size_t>(fc)].bwd_data) << "nothing upstream of the first trained node";
  EXPECT_TRUE(a.trainable[static_cast<size_t>(g.params.size() - 1)]);
  EXPECT_FALSE(a.trainable[0]);
}

TEST(Autodiff, InputGradientMakesTheFirstNodeRunBwdData) {
  const Graph g = plain_stack();
  CompileOptions o = options();
  o.input_grad = true;
  const Autodiff a = differentiate(g, o);
  EXPECT_TRUE(a.requires_grad[static_cast<size_t>(g.input)]);
  EXPECT_TRUE(a.nodes[static_cast<size_t>(g.find_node("conv1"))].bwd_data);
}

TEST(Autodiff, InferenceHasNoGradients) {
  const Graph g = plain_stack();
  CompileOptions o = options();
  o.training = false;
  const Autodiff a = differentiate(g, o);
  for (bool rg : a.requires_grad) EXPECT_FALSE(rg);
  for (const NodeBackward& b : a.nodes) EXPECT_FALSE(b.runs);
  for (bool t : a.trainable) EXPECT_FALSE(t);
}

TEST(Autodiff, BackwardReadsFollowTheOps) {
  const Graph g = plain_stack();
  const Autodiff a = differentiate(g, options());
  // ReLU's backward reads its output, a convolution's its input (for the weight gradient).
  EXPECT_TRUE(a.read_by_backward[static_cast<size_t>(output_of(g, "relu1"))]);
  EXPECT_TRUE(a.read_by_backward[static_cast<size_t>(g.input)]);
  // Global average pooling's backward reads nothing of the forward: its input may be overwritten.
  EXPECT_FALSE(a.read_by_backward[static_cast<size_t>(output_of(g, "gap"))]);
}

TEST(Autodiff, TheResidualBranchesBothReceiveTheAddsGradient) {
  const Graph g = residual();
  const Autodiff a = differentiate(g, options());
  const NodeBackward& add = a.nodes[static_cast<size_t>(g.find_node("add"))];
  EXPECT_EQ(add.grad_inputs, (std::vector<int>{0, 1}));
  EXPECT_TRUE(a.nodes[static_cast<size_t>(g.find_node("stem"))].runs);
}

}  // namespace
}  // namespace edgetrain::compiler::test
