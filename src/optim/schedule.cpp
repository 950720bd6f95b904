#include "optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/check.hpp"

namespace edgetrain::optim {

double lr_at(const ScheduleConfig& cfg, double base_lr, int64_t iteration) {
  ET_REQUIRE(iteration >= 0, "lr schedule: iteration must be >= 0, got {}", iteration);
  if (iteration < cfg.warmup_iters) {
    const double frac = static_cast<double>(iteration) / static_cast<double>(cfg.warmup_iters);
    return base_lr * (cfg.warmup_start_factor + (1.0 - cfg.warmup_start_factor) * frac);
  }
  const int64_t k = iteration - cfg.warmup_iters;
  switch (cfg.kind) {
    case ScheduleKind::constant: return base_lr;
    case ScheduleKind::step:
      ET_REQUIRE(cfg.step_size_iters > 0, "lr schedule step: the step size (steps between decays) must be > 0, got {}",
                 cfg.step_size_iters);
      return base_lr * std::pow(cfg.gamma, static_cast<double>(k / cfg.step_size_iters));
    case ScheduleKind::cosine: {
      const int64_t span = cfg.total_iters - cfg.warmup_iters;
      ET_REQUIRE(span > 0, "lr schedule cosine: the total steps ({}) must exceed the warm-up steps ({})",
                 cfg.total_iters, cfg.warmup_iters);
      const double frac = static_cast<double>(std::min(k, span)) / static_cast<double>(span);
      return cfg.min_lr +
             (base_lr - cfg.min_lr) * (1.0 + std::cos(std::numbers::pi * frac)) / 2.0;
    }
  }
  return base_lr;
}

ScheduleKind parse_schedule(std::string_view name) {
  if (name == "constant") return ScheduleKind::constant;
  if (name == "step") return ScheduleKind::step;
  if (name == "cosine") return ScheduleKind::cosine;
  fail("unknown lr schedule '{}'; choose one of: constant, step, cosine", name);
}

std::string_view schedule_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::constant: return "constant";
    case ScheduleKind::step: return "step";
    case ScheduleKind::cosine: return "cosine";
  }
  return "?";
}

void validate(const ScheduleConfig& cfg) {
  const auto name = schedule_name(cfg.kind);
  ET_REQUIRE(cfg.warmup_iters >= 0, "lr schedule {}: the warm-up steps must be >= 0, got {}", name,
             cfg.warmup_iters);
  ET_REQUIRE(cfg.warmup_iters == 0 ||
                 (cfg.warmup_start_factor > 0.0 && cfg.warmup_start_factor <= 1.0),
             "lr schedule {}: warmup_start_factor must be in (0, 1], got {}", name,
             cfg.warmup_start_factor);
  switch (cfg.kind) {
    case ScheduleKind::constant: return;
    case ScheduleKind::step:
      ET_REQUIRE(cfg.step_size_iters > 0, "lr schedule step: the step size (steps between decays) must be > 0, got {}",
                 cfg.step_size_iters);
      ET_REQUIRE(std::isfinite(cfg.gamma) && cfg.gamma > 0.0 && cfg.gamma <= 1.0,
                 "lr schedule step: gamma must be in (0, 1], got {}", cfg.gamma);
      return;
    case ScheduleKind::cosine:
      ET_REQUIRE(cfg.total_iters > cfg.warmup_iters,
                 "lr schedule cosine: the total steps ({}) must exceed the warm-up steps ({}) (ScheduleOptions::total_steps, "
                 "or ScheduleOptions::over_epochs)",
                 cfg.total_iters, cfg.warmup_iters);
      ET_REQUIRE(std::isfinite(cfg.min_lr) && cfg.min_lr >= 0.0,
                 "lr schedule cosine: min_lr must be >= 0, got {}", cfg.min_lr);
      return;
  }
}

}  // namespace edgetrain::optim
