#include "runtime/optimizer_state.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace edgetrain {

OptimizerState::OptimizerState(const Graph& g, const std::vector<bool>& trainable, const optim::OptimizerConfig& c)
    : config_(c), slots_per_param_(optim::state_slots(c)) {
  ET_ASSERT(slots_per_param_ <= optim::kMaxStateSlots);
  std::size_t total = 0;
  for (size_t p = 0; p < g.params.size(); ++p)
    if (trainable[p])
      total += static_cast<size_t>(g.params[p].shape.numel()) * sizeof(float) * static_cast<size_t>(slots_per_param_);
  storage_.resize(total);
  slots_.resize(g.params.size() * optim::kMaxStateSlots);
  layouts_.resize(g.params.size());
  std::byte* at = storage_.data();
  for (size_t p = 0; p < g.params.size(); ++p) {
    if (!trainable[p]) continue;
    for (int k = 0; k < slots_per_param_; ++k) {
      slots_[index(static_cast<int>(p), k)] = TensorView(at, g.params[p].shape, DType::f32);
      at += static_cast<size_t>(g.params[p].shape.numel()) * sizeof(float);
    }
  }
}

TensorView OptimizerState::slot(int param, int k) const {
  set_layout(param, ParamLayout{});
  return stored_slot(param, k);
}

void OptimizerState::set_layout(int param, const ParamLayout& l) const {
  static_assert(optim::kMaxStateSlots == 2, "convert every slot of the parameter");
  convert_tracked(layouts_[static_cast<size_t>(param)], l, {&slots_[index(param, 0)], &slots_[index(param, 1)]});
}

void copy_optimizer_state(const OptimizerState& from, OptimizerState& to) {
  ET_REQUIRE(
      from.params() == to.params() && from.slots_per_param() == to.slots_per_param() && from.bytes() == to.bytes(),
      "optimizer state: {} slots in {} bytes cannot be copied into {} slots in {} bytes", from.slots_per_param(),
      from.bytes(), to.slots_per_param(), to.bytes());
  const int params = from.params();
  for (int p = 0; p < params; ++p)
    for (int k = 0; k < from.slots_per_param(); ++k) {
      const TensorView src = from.slot(p, k), dst = to.slot(p, k);
      ET_REQUIRE(static_cast<bool>(src) == static_cast<bool>(dst) && (!src || src.numel() == dst.numel()),
                 "optimizer state: parameter {} slot {} differs between the two states", p, k);
      if (src) std::copy_n(src.as<float>(), src.numel(), dst.as<float>());
    }
  to.step = from.step;
}

}  // namespace edgetrain
