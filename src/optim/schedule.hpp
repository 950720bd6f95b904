// Learning-rate schedules: an optional linear warm-up followed by constant, step decay or
// cosine annealing. Matches torch.optim.lr_scheduler LinearLR / StepLR / CosineAnnealingLR.
#pragma once
#include <cstdint>
#include <string_view>

namespace edgetrain::optim {

enum class ScheduleKind { constant, step, cosine };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::constant;
  int64_t warmup_iters = 0;          // 0 disables warm-up
  double warmup_start_factor = 0.1;  // lr at iteration 0 is base_lr * this; in (0, 1]
  int64_t step_size_iters = 0;       // step: decay every this many iterations after warm-up (> 0)
  double gamma = 0.1;                // step: multiplicative decay
  int64_t total_iters = 0;           // cosine: iteration (warm-up included) where min_lr is reached
  double min_lr = 0.0;               // cosine: floor
};

// Learning rate at 0-based `iteration`:
//   it < warmup:  base * (start + (1 - start) * it / warmup)
//   then, with k = it - warmup:
//     constant: base;  step: base * gamma^floor(k / step_size);
//     cosine:   min + (base - min) * (1 + cos(pi * k / (total - warmup))) / 2, k clamped to
//               total - warmup (stays at min_lr afterwards).
double lr_at(const ScheduleConfig& cfg, double base_lr, int64_t iteration);

// "constant" | "step" | "cosine"; throws Error listing the choices otherwise.
ScheduleKind parse_schedule(std::string_view name);
std::string_view schedule_name(ScheduleKind kind);

// Throws Error naming the bad field and its valid range.
void validate(const ScheduleConfig& cfg);

}  // namespace edgetrain::optim
