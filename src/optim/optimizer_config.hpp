// Optimizer hyper-parameters: which update rule, its settings, and how many per-element state
// tensors it needs. The update itself lives in update.hpp.
#pragma once
#include <string_view>

namespace edgetrain::optim {

enum class OptimizerKind { sgd, adam, adamw };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::sgd;
  double lr = 0.01;           // base learning rate (a schedule may scale it per iteration)
  double momentum = 0.9;      // sgd only; 0 disables the momentum buffer
  bool nesterov = false;      // sgd only; needs momentum > 0
  double weight_decay = 0.0;  // sgd/adam: L2 added to the gradient; adamw: decoupled decay
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam/adamw
};

// Number of per-element state tensors (each the size of the parameter):
// sgd: 0 without momentum, 1 (momentum buffer) with; adam/adamw: 2 (first and second moments).
int state_slots(const OptimizerConfig& cfg);
inline constexpr int kMaxStateSlots = 2;  // the most state_slots() returns (Adam's two moments)

// "sgd" | "adam" | "adamw"; throws Error listing the choices otherwise.
OptimizerKind parse_optimizer(std::string_view name);
std::string_view optimizer_name(OptimizerKind kind);

// Throws Error naming the bad field and its valid range.
void validate(const OptimizerConfig& cfg);

}  // namespace edgetrain::optim
