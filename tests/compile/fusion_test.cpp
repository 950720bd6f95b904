// Fusion pass: which activations their producer computes.
#include <gtest/gtest.h>

#include "compile/fusion.hpp"
#include "small_graphs.hpp"

namespace edgetrain::compiler::test {
namespace {

std::vector<Layout> all(const Graph& g, Layout l) { return std::vector<Layout>(g.values.size(), l); }
std::vector<bool> none_unfused(const Graph& g) { return std::vector<bool>(g.nodes.size(), false); }

TEST(Fusion, BatchNormComputesTheReluThatFollowsIt) {
  const Graph g = plain_stack();
  const GraphFacts f = analyse_graph(g, 4);
  const Fusion fu = choose_fusions(g, f, all(g, Layout::blocked16), none_unfused(g), options());
  const int bn1 = g.find_node("bn1"), relu1 = g.find_node("relu1");
  EXPECT_EQ(fu.activation_of[static_cast<size_t>(bn1)], relu1);
  EXPECT_EQ(fu.computed_by[static_cast<size_t>(relu1)], bn1);
  EXPECT_TRUE(fu.is_fused(relu1));
  EXPECT_EQ(fu.activation(g, bn1), Activation::relu);
  EXPECT_EQ(fu.written_value(g, bn1), output_of(g, "relu1"));
  // Nodes that fused nothing write their own output.
  EXPECT_EQ(fu.activation(g, g.find_node("conv1")), Activation::none);
  EXPECT_EQ(fu.written_value(g, g.find_node("conv1")), output_of(g, "conv1"));
}

TEST(Fusion, NotAfterAnOpWhoseKernelsCannotFuseNorOnAValueWithTwoReaders) {
  const Graph g = residual();
  const GraphFacts f = analyse_graph(g, 4);
  const Fusion fu = choose_fusions(g, f, all(g, Layout::blocked16), none_unfused(g), options());
  EXPECT_FALSE(fu.is_fused(g.find_node("relu"))) << "Add takes no fused activation";
  EXPECT_TRUE(fu.is_fused(g.find_node("stem_relu"))) << "stem_bn's output has one reader";
}

TEST(Fusion, NotAcrossLayoutsNorForAnUnfusedProducer) {
  const Graph g = plain_stack();
  const GraphFacts f = analyse_graph(g, 4);
  std::vector<Layout> mixed = all(g, Layout::blocked16);
  mixed[static_cast<size_t>(output_of(g, "relu1"))] = Layout::plain;
  std::vector<bool> unfused = none_unfused(g);
  unfused[static_cast<size_t>(g.find_node("bn2"))] = true;
  const Fusion fu = choose_fusions(g, f, mixed, unfused, options());
  EXPECT_FALSE(fu.is_fused(g.find_node("relu1")));
  EXPECT_FALSE(fu.is_fused(g.find_node("relu2")));
}

TEST(Fusion, OffForInspectionTheReferenceBackendOrWhenDisabled) {
  const Graph g = plain_stack();
  const GraphFacts f = analyse_graph(g, 4);
  CompileOptions inspect = options(), ref = options(), off = options();
  inspect.backward_in_place = false;
  ref.backend = KernelBackend::reference;
  off.fuse_activations = false;
  for (const CompileOptions& o : {inspect, ref, off}) {
    const Fusion fu = choose_fusions(g, f, all(g, Layout::plain), none_unfused(g), o);
    for (size_t n = 0; n < g.nodes.size(); ++n) EXPECT_FALSE(fu.is_fused(static_cast<int>(n)));
  }
}

}  // namespace
}  // namespace edgetrain::compiler::test
