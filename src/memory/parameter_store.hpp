// ParameterStore: the persistent memory of a model — every parameter and every state tensor (BN
// running statistics) in one aligned arena, addressed by the graph's slot ids.
#pragma once
#include <cstdint>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/tensor_view.hpp"
#include "graph/graph.hpp"

namespace edgetrain {

class ParameterStore {
 public:
  ParameterStore() = default;
  // Allocates room for the graph's parameters and states and initialises them (PyTorch's default
  // rules: kaiming-uniform weights, fan-in uniform biases, BN scale 1 / shift 0 / mean 0 / var 1).
  ParameterStore(const Graph& graph, uint64_t seed);

  TensorView param(int id) const { return params_[static_cast<size_t>(id)]; }
  TensorView state(int id) const { return states_[static_cast<size_t>(id)]; }
  size_t num_params() const { return params_.size(); }
  size_t num_states() const { return states_.size(); }
  std::size_t param_bytes() const;
  std::size_t state_bytes() const;
  int64_t param_count() const;

 private:
  AlignedBuffer storage_;
  std::vector<TensorView> params_, states_;
};

}  // namespace edgetrain
