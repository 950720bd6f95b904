// Autodiff pass: which parameters train, which values need a gradient, which backward passes each
// node runs, and which forward values a backward pass may read (so they must outlive the forward).
// Only what is needed is emitted: no bwd_weights for a frozen parameter, no bwd_data upstream of the
// first node that trains.
#pragma once
#include <vector>

#include "compile/compile.hpp"

namespace edgetrain::compiler {

// The backward work of one node.
struct NodeBackward {
  bool runs = false;                      // its output's gradient reaches the loss (or it is the loss)
  std::vector<int> grad_inputs;           // input positions that receive a gradient
  bool bwd_data = false;                  // a bwd_data pass writes those gradients
  bool bwd_weights = false;               // a bwd_weights pass of its own
  bool weight_grads_in_bwd_data = false;  // the weight gradients come out of bwd_data (fuses_weight_grads)
};

struct Autodiff {
  std::vector<bool> trainable;         // per parameter
  std::vector<bool> trains;            // per node: has a trainable parameter
  std::vector<bool> requires_grad;     // per value: depends on a trainable parameter (or the input)
  std::vector<bool> read_by_backward;  // per value: some backward pass may read it (conservative)
  std::vector<NodeBackward> nodes;     // per node
};

// Reads options.training, .trainable and .input_grad.
Autodiff differentiate(const Graph& graph, const CompileOptions& options);

}  // namespace edgetrain::compiler
