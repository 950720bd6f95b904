// Which parameters train. Specs (CLI syntax in parentheses):
//   all ("all"), the classifier only ("classifier"), the last k layers ("last:K"; a layer is a Conv2d
//   or Linear together with the BatchNorm that follows it), biases only ("bias"), or an explicit list
//   of names / globs ("names:layer4.*,fc.*").
#pragma once
#include <string>
#include <vector>

#include "graph/graph.hpp"

namespace edgetrain {

struct TrainableSpec {
  enum class Mode { all, classifier, last_k, bias_only, names };
  Mode mode = Mode::all;
  int k = 1;
  std::vector<std::string> patterns;
};

TrainableSpec parse_trainable(std::string_view text);
std::string to_string(const TrainableSpec& spec);
// One flag per graph parameter. Throws Error if the spec selects no parameter.
std::vector<bool> resolve_trainable(const Graph& graph, const TrainableSpec& spec);
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace edgetrain
