// ParameterStore: the persistent memory of a model — every parameter and every state tensor (BN
// running statistics) in one aligned arena, addressed by the graph's slot ids.
//
// A parameter's bytes are row-major unless an executor has put them in its plan's layout
// (Plan::param_layouts, e.g. a convolution weight in oneDNN's OIhw16i16o) to train without reorders.
// param() always gives the row-major view, converting back first if needed: everything outside the
// executor (checkpoints, export, pruning, inspection, tests) reads and writes plain tensors, and the
// executor converts again before its next step. The layout is a representation, not a value: it
// changes under const access, like a cache, and a mutex guards it, so const access from several
// threads is safe (the first reader converts, the others find the bytes converted).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/param_layout.hpp"
#include "core/tensor_view.hpp"
#include "graph/graph.hpp"

namespace edgetrain {

class ParameterStore {
 public:
  ParameterStore() = default;
  // Allocates room for the graph's parameters and states and initialises them (PyTorch's default
  // rules: kaiming-uniform weights, fan-in uniform biases, BN scale 1 / shift 0 / mean 0 / var 1).
  ParameterStore(const Graph& graph, uint64_t seed);

  // Row-major view of parameter id (converted to plain first when it is not).
  TensorView param(int id) const;
  // The bytes as they are, in layout(id) (for executors: their kernels were compiled for it).
  TensorView stored_param(int id) const { return params_[static_cast<size_t>(id)]; }
  const ParamLayout& layout(int id) const { return layouts_[static_cast<size_t>(id)]; }
  // Converts parameter id's bytes to layout l in place (nothing when already in it).
  void set_layout(int id, const ParamLayout& l) const;
  // set_layout for every parameter (layouts[p] for parameter p), under one lock.
  void set_layouts(const std::vector<ParamLayout>& layouts) const;
  TensorView state(int id) const { return states_[static_cast<size_t>(id)]; }
  size_t num_params() const { return params_.size(); }
  size_t num_states() const { return states_.size(); }
  std::size_t param_bytes() const;
  std::size_t state_bytes() const;
  int64_t param_count() const;

 private:
  AlignedBuffer storage_;
  std::vector<TensorView> params_, states_;
  mutable std::vector<ParamLayout> layouts_;  // per parameter: the layout its bytes are in
  std::unique_ptr<std::mutex> layout_mutex_ = std::make_unique<std::mutex>();  // guards layouts_ and conversions
};

}  // namespace edgetrain
