#include "optim/optimizer_config.hpp"

#include <cmath>

#include "core/check.hpp"

namespace edgetrain::optim {

int state_slots(const OptimizerConfig& cfg) {
  switch (cfg.kind) {
    case OptimizerKind::sgd: return cfg.momentum != 0.0 ? 1 : 0;
    case OptimizerKind::adam:
    case OptimizerKind::adamw: return 2;
  }
  return 0;
}

OptimizerKind parse_optimizer(std::string_view name) {
  if (name == "sgd") return OptimizerKind::sgd;
  if (name == "adam") return OptimizerKind::adam;
  if (name == "adamw") return OptimizerKind::adamw;
  fail("unknown optimizer '{}'; choose one of: sgd, adam, adamw", name);
}

std::string_view optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd: return "sgd";
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::adamw: return "adamw";
  }
  return "?";
}

void validate(const OptimizerConfig& cfg) {
  const auto name = optimizer_name(cfg.kind);
  ET_REQUIRE(std::isfinite(cfg.lr) && cfg.lr >= 0.0,
             "optimizer {}: lr must be a finite value >= 0, got {}", name, cfg.lr);
  ET_REQUIRE(std::isfinite(cfg.weight_decay) && cfg.weight_decay >= 0.0,
             "optimizer {}: weight_decay must be a finite value >= 0, got {}", name, cfg.weight_decay);
  if (cfg.kind == OptimizerKind::sgd) {
    ET_REQUIRE(cfg.momentum >= 0.0 && cfg.momentum < 1.0,
               "optimizer sgd: momentum must be in [0, 1), got {}", cfg.momentum);
    ET_REQUIRE(!cfg.nesterov || cfg.momentum > 0.0,
               "optimizer sgd: nesterov needs momentum > 0 (got momentum {}); set momentum or "
               "disable nesterov", cfg.momentum);
    return;
  }
  ET_REQUIRE(!cfg.nesterov, "optimizer {}: nesterov applies only to sgd; disable it", name);
  ET_REQUIRE(cfg.beta1 >= 0.0 && cfg.beta1 < 1.0, "optimizer {}: beta1 must be in [0, 1), got {}",
             name, cfg.beta1);
  ET_REQUIRE(cfg.beta2 >= 0.0 && cfg.beta2 < 1.0, "optimizer {}: beta2 must be in [0, 1), got {}",
             name, cfg.beta2);
  ET_REQUIRE(std::isfinite(cfg.eps) && cfg.eps > 0.0, "optimizer {}: eps must be > 0, got {}", name,
             cfg.eps);
}

}  // namespace edgetrain::optim
