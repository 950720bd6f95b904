// Random CNNs for calibration: the building blocks of the CNNs people train (conv-BN-ReLU stems with
// 1x1 to 7x7 windows, residual basic and bottleneck blocks, inverted residuals with depthwise
// convolutions, fire modules that concatenate, max/avg pooling, global pooling or flatten + linear
// heads with dropout) in random order, at random widths that include the odd ones structured pruning
// leaves, random input sizes and batch sizes, under a compute cap. The latency predictor learns from
// these, never from the architectures it is asked about.
#pragma once
#include <cstdint>
#include <random>
#include <string>

#include "graph/graph.hpp"

namespace edgetrain::predict {

struct SyntheticNet {
  Graph graph;
  int64_t batch = 1;
  std::string trainable = "all";  // a TrainableSpec text
  std::string description;        // one line, for logs
};

// max_step_macs bounds the forward MACs of one step (batch included), so a net runs in well under
// a second on a small CPU.
SyntheticNet random_network(std::mt19937_64& rng, int64_t max_step_macs);

}  // namespace edgetrain::predict
