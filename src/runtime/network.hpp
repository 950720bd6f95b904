// Network = Graph + ParameterStore + what a user needs to use it (architecture, class names, input
// normalisation). Adaptation rewrites take a Network and return a new one.
#pragma once
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "memory/parameter_store.hpp"

namespace edgetrain {

struct ModelInfo {
  std::string arch;                       // zoo name or source file
  double width_mult = 1.0;                // zoo width multiplier (MobileNetV2)
  std::vector<std::string> class_names;   // index = class
  std::vector<float> mean, std;           // per-channel input normalisation (empty = none)
};

struct Network {
  Graph graph;
  ParameterStore params;
  ModelInfo info;
};

}  // namespace edgetrain
