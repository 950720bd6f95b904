// Helpers shared by the model zoo tests.
#pragma once
#include <algorithm>
#include <string>

#include "graph/graph.hpp"

namespace edgetrain::models::test {

inline int64_t param_count(const Graph& g) {
  int64_t n = 0;
  for (const Slot& s : g.params) n += s.shape.numel();
  return n;
}

inline int64_t state_count(const Graph& g) {
  int64_t n = 0;
  for (const Slot& s : g.states) n += s.shape.numel();
  return n;
}

inline const Slot* find_param(const Graph& g, const std::string& name) {
  auto it = std::find_if(g.params.begin(), g.params.end(), [&](const Slot& s) { return s.name == name; });
  return it == g.params.end() ? nullptr : &*it;
}

}  // namespace edgetrain::models::test
