// float and double instantiations agree over several steps of every optimizer.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "optim/update.hpp"

namespace edgetrain::optim {
namespace {

struct Case {
  const char* name;
  OptimizerConfig cfg;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  OptimizerConfig c;
  c.kind = OptimizerKind::sgd, c.lr = 0.05, c.momentum = 0.0, c.weight_decay = 0.0;
  out.push_back({"sgd", c});
  c.momentum = 0.9, c.weight_decay = 1e-4;
  out.push_back({"sgd_momentum", c});
  c.nesterov = true;
  out.push_back({"sgd_nesterov", c});
  c = OptimizerConfig{};
  c.kind = OptimizerKind::adam, c.lr = 1e-3, c.weight_decay = 1e-2;
  out.push_back({"adam", c});
  c.kind = OptimizerKind::adamw;
  out.push_back({"adamw", c});
  return out;
}

TEST(UpdatePrecision, FloatMatchesDouble) {
  constexpr int64_t n = 257;  // odd size exercises vector tails
  for (const auto& [name, cfg] : cases()) {
    std::vector<double> pd(n), gd(n), s0d(n, 0.0), s1d(n, 0.0);
    std::vector<float> pf(n), gf(n), s0f(n, 0.0f), s1f(n, 0.0f);
    for (int64_t i = 0; i < n; ++i) pf[i] = static_cast<float>(std::sin(0.37 * i) * 2.0);
    for (int64_t i = 0; i < n; ++i) pd[i] = pf[i];
    for (int64_t step = 1; step <= 10; ++step) {
      for (int64_t i = 0; i < n; ++i) gf[i] = static_cast<float>(std::cos(0.11 * i * step) * 0.5);
      for (int64_t i = 0; i < n; ++i) gd[i] = gf[i];
      apply_update<float>(cfg, cfg.lr, step, pf.data(), gf.data(), s0f.data(), s1f.data(), n);
      apply_update<double>(cfg, cfg.lr, step, pd.data(), gd.data(), s0d.data(), s1d.data(), n);
    }
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(pf[i], pd[i], 1e-5 * std::max(1.0, std::abs(pd[i]))) << name << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace edgetrain::optim
