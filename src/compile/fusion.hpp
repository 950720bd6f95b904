// Fusion pass: a ReLU / ReLU6 whose input has no other reader is computed by the step producing that
// input (a kernel problem with fused_activation). The activation node then runs no step: its input
// value shares its output's buffer (never materialised on its own), the producer's forward writes
// act(output) there, and the producer's backward reads that output to mask the incoming gradient.
// Not where every gradient keeps its own buffer (backward_in_place = false: inspection), not on the
// native or reference backends (their convolutions run plain: blocks_convolutions), and not for a
// producer layout assignment found a kernel declining it for.
#pragma once
#include <vector>

#include "compile/compile.hpp"
#include "compile/graph_facts.hpp"

namespace edgetrain::compiler {

struct Fusion {
  std::vector<int> activation_of;  // per node: the activation node it computes, or -1
  std::vector<int> computed_by;    // per activation node: the producer computing it, or -1

  bool is_fused(int node) const { return computed_by[static_cast<size_t>(node)] >= 0; }
  // The activation the node's steps apply to their output (none if it fused none).
  Activation activation(const Graph& g, int node) const;
  // The value the node's forward step writes: its output, or its fused activation's.
  int written_value(const Graph& g, int node) const;
};

// unfused: per node, a producer that must not fuse; layouts: per value (an activation fuses only
// where its input and output share a layout).
Fusion choose_fusions(const Graph& graph, const GraphFacts& facts, const std::vector<Layout>& layouts,
                      const std::vector<bool>& unfused, const CompileOptions& options);

}  // namespace edgetrain::compiler
