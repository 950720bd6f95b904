// Small graphs for the compiler passes' unit tests, and the context the passes before the one under
// test would have built.
#pragma once
#include "compile/autodiff.hpp"
#include "compile/context.hpp"
#include "compile/graph_facts.hpp"
#include "compile/precision.hpp"
#include "graph/builder.hpp"

namespace edgetrain::compiler::test {

inline int output_of(const Graph& g, std::string_view name) {
  return g.nodes[static_cast<size_t>(g.find_node(name))].output;
}

// conv1 -> bn1 -> relu1 -> conv2 -> bn2 -> relu2 -> gap -> flatten -> fc -> loss (16 channels: blockable)
inline Graph plain_stack(int64_t channels = 16) {
  GraphBuilder b(Shape{3, 8, 8});
  int x = b.conv("conv1", b.input(), channels, 3, 1, 1);
  x = b.relu("relu1", b.batch_norm("bn1", x));
  x = b.conv("conv2", x, channels, 3, 1, 1);
  x = b.relu("relu2", b.batch_norm("bn2", x));
  x = b.flatten("flatten", b.global_avg_pool("gap", x));
  return b.finish(b.linear("fc", x, 10));
}

// A residual block: stem -> (conv_a -> bn_a) + stem -> relu -> gap -> flatten -> fc. The stem's output
// has two readers (conv_a and the add), so its gradient is accumulated.
inline Graph residual(int64_t channels = 16) {
  GraphBuilder b(Shape{3, 8, 8});
  const int stem = b.relu("stem_relu", b.batch_norm("stem_bn", b.conv("stem", b.input(), channels, 3, 1, 1)));
  const int branch = b.batch_norm("bn_a", b.conv("conv_a", stem, channels, 3, 1, 1));
  int x = b.relu("relu", b.add("add", branch, stem));
  x = b.flatten("flatten", b.global_avg_pool("gap", x));
  return b.finish(b.linear("fc", x, 10));
}

// Squeeze-and-excitation: conv -> x * sigmoid(fc-like 1x1 convs of its pooled self) -> gap -> fc.
// Mul has only a plain (reference) kernel, so its values cannot stay blocked.
inline Graph squeeze_excite(int64_t channels = 16) {
  GraphBuilder b(Shape{3, 8, 8});
  const int x = b.relu("relu0", b.batch_norm("bn0", b.conv("conv0", b.input(), channels, 3, 1, 1)));
  int s = b.global_avg_pool("squeeze", x);
  s = b.relu("se_relu", b.conv("se_reduce", s, 8, 1, 1, 0, 1, true));
  // MobileNetV3's gate: HardSigmoid, which only the reference kernels run (plain layouts).
  s = b.pointwise("se_gate", b.conv("se_expand", s, channels, 1, 1, 0, 1, true),
                  PointwiseAttrs{PointwiseFn::hard_sigmoid, 1.0 / 6.0, 0.5});
  int y = b.mul("excite", x, s);
  y = b.flatten("flatten", b.global_avg_pool("gap", y));
  return b.finish(b.linear("fc", y, 10));
}

inline CompileOptions options(int64_t batch = 4) {
  CompileOptions o;
  o.batch = batch;
  return o;
}

// The context after graph analysis, autodiff and precision assignment.
inline CompileContext context(const Graph& g, const CompileOptions& o) {
  CompileContext c{g, o, analyse_graph(g, o.batch), {}, {}};
  c.grads = differentiate(g, o);
  c.precisions = assign_precisions(g, c.grads, DType::f32);
  return c;
}

}  // namespace edgetrain::compiler::test
