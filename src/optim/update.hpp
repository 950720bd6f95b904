// One optimizer step on one parameter tensor, in place, with PyTorch 1.13 semantics
// (torch.optim.SGD with dampening 0, Adam with amsgrad off, AdamW).
#pragma once
#include <cstdint>

#include "optim/optimizer_config.hpp"

namespace edgetrain::optim {

// param, grad: [n]. state0/state1: [n] each, zero-initialised before step 1, used as
//   sgd: state0 = momentum buffer (null when momentum == 0), state1 unused (may be null);
//   adam/adamw: state0 = first moment m, state1 = second moment v.
// lr: the learning rate for this step (cfg.lr is ignored, so a schedule can pass its value).
// step: 1-based count of this parameter's updates (Adam bias correction).
// Arithmetic is done in T, with the scalar coefficients computed in double then rounded to T.
template <class T>
void apply_update(const OptimizerConfig& cfg, double lr, int64_t step, T* param, const T* grad,
                  T* state0, T* state1, int64_t n);

extern template void apply_update<float>(const OptimizerConfig&, double, int64_t, float*,
                                         const float*, float*, float*, int64_t);
extern template void apply_update<double>(const OptimizerConfig&, double, int64_t, double*,
                                          const double*, double*, double*, int64_t);

}  // namespace edgetrain::optim
