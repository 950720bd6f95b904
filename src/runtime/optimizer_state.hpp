// OptimizerState: persistent per-parameter optimizer tensors (momentum, Adam moments) for the
// trainable parameters of a plan, zero-initialised, plus the step counter. A parameter's slots are in
// its layout (see ParameterStore): slot() gives them row-major, converting back first if needed.
#pragma once
#include "core/aligned_buffer.hpp"
#include "core/param_layout.hpp"
#include "core/tensor_view.hpp"
#include "graph/graph.hpp"
#include "optim/optimizer_config.hpp"

namespace edgetrain {

class OptimizerState {
 public:
  OptimizerState() = default;
  OptimizerState(const Graph& graph, const std::vector<bool>& trainable, const optim::OptimizerConfig& config);

  // Slot k (0 or 1) of parameter p; an empty view where the parameter is frozen or the slot unused.
  TensorView slot(int param, int k) const;
  // The bytes as they are, in the parameter's layout (for executors).
  TensorView stored_slot(int param, int k) const { return slots_[index(param, k)]; }
  // Converts parameter `param`'s slots to layout l in place (nothing when already in it).
  void set_layout(int param, const ParamLayout& l) const;
  int slots_per_param() const { return slots_per_param_; }
  int params() const { return static_cast<int>(layouts_.size()); }
  std::size_t bytes() const { return storage_.size(); }
  const optim::OptimizerConfig& config() const { return config_; }
  int64_t step = 0;  // updates applied so far

 private:
  static size_t index(int param, int k) {
    return static_cast<size_t>(param) * optim::kMaxStateSlots + static_cast<size_t>(k);
  }
  optim::OptimizerConfig config_;
  int slots_per_param_ = 0;
  AlignedBuffer storage_;
  std::vector<TensorView> slots_;
  mutable std::vector<ParamLayout> layouts_;  // per parameter
};

// Copies every slot and the step count of `from` into `to`, a state of the same parameters, shapes
// and trainable set (layouts may differ).
void copy_optimizer_state(const OptimizerState& from, OptimizerState& to);

}  // namespace edgetrain
