#include "optim/update.hpp"

#include <cmath>

#include "core/check.hpp"

namespace edgetrain::optim {
namespace {

// The updates are element-wise and memory-bound (SGD with momentum reads 3 and writes 2 values per
// parameter): large tensors split across the threads, small ones stay on one.
constexpr int64_t kParallelMin = 1 << 15;

// SGD: d = g + wd*p; buf = momentum*buf + d; d = nesterov ? d + momentum*buf : buf; p -= lr*d.
// A zero-initialised buffer makes the first step buf = d, as PyTorch's clone does.
template <class T>
void sgd_update(const OptimizerConfig& cfg, double lr, T* __restrict param,
                const T* __restrict grad, T* __restrict buf, int64_t n) {
  const T wd = static_cast<T>(cfg.weight_decay);
  const T neg_lr = static_cast<T>(-lr);
  if (cfg.momentum == 0.0) {
#pragma omp parallel for simd if (parallel: n > kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) param[i] += neg_lr * (grad[i] + wd * param[i]);
    return;
  }
  const T mom = static_cast<T>(cfg.momentum);
  if (cfg.nesterov) {
#pragma omp parallel for simd if (parallel: n > kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const T d = grad[i] + wd * param[i];
      const T b = mom * buf[i] + d;
      buf[i] = b;
      param[i] += neg_lr * (d + mom * b);
    }
  } else {
#pragma omp parallel for simd if (parallel: n > kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const T d = grad[i] + wd * param[i];
      const T b = mom * buf[i] + d;
      buf[i] = b;
      param[i] += neg_lr * b;
    }
  }
}

// Adam / AdamW. l2 is added to the gradient (Adam's weight_decay); AdamW instead scales the
// parameter by (1 - lr*wd) beforehand and passes l2 = 0.
//   m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
//   p -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps)
template <class T>
void adam_update(const OptimizerConfig& cfg, double lr, int64_t step, double l2, double decay_scale,
                 T* __restrict param, const T* __restrict grad, T* __restrict m,
                 T* __restrict v, int64_t n) {
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(cfg.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(cfg.beta2, t);
  const T b1 = static_cast<T>(cfg.beta1), one_minus_b1 = static_cast<T>(1.0 - cfg.beta1);
  const T b2 = static_cast<T>(cfg.beta2), one_minus_b2 = static_cast<T>(1.0 - cfg.beta2);
  const T wd = static_cast<T>(l2);
  const T scale = static_cast<T>(decay_scale);
  const T neg_step_size = static_cast<T>(-(lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(cfg.eps);
#pragma omp parallel for simd if (parallel: n > kParallelMin) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const T p = param[i] * scale;
    const T g = grad[i] + wd * p;
    const T mi = b1 * m[i] + one_minus_b1 * g;
    const T vi = b2 * v[i] + one_minus_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const T denom = std::sqrt(vi) / bc2_sqrt + eps;
    param[i] = p + neg_step_size * mi / denom;
  }
}

}  // namespace

template <class T>
void apply_update(const OptimizerConfig& cfg, double lr, int64_t step, T* param, const T* grad,
                  T* state0, T* state1, int64_t n) {
  ET_REQUIRE(n >= 0, "apply_update: element count must be >= 0, got {}", n);
  if (n == 0) return;
  ET_REQUIRE(param != nullptr && grad != nullptr, "apply_update: param and grad must not be null");
  ET_REQUIRE(step >= 1, "apply_update: step is 1-based, got {}", step);
  ET_REQUIRE(std::isfinite(lr) && lr >= 0.0, "apply_update: lr must be finite and >= 0, got {}", lr);
  const int slots = state_slots(cfg);
  ET_REQUIRE(slots < 1 || state0 != nullptr, "apply_update: optimizer {} needs state slot 0",
             optimizer_name(cfg.kind));
  ET_REQUIRE(slots < 2 || state1 != nullptr, "apply_update: optimizer {} needs state slot 1",
             optimizer_name(cfg.kind));
  switch (cfg.kind) {
    case OptimizerKind::sgd: sgd_update(cfg, lr, param, grad, state0, n); return;
    case OptimizerKind::adam:
      adam_update(cfg, lr, step, cfg.weight_decay, 1.0, param, grad, state0, state1, n);
      return;
    case OptimizerKind::adamw:
      adam_update(cfg, lr, step, 0.0, 1.0 - lr * cfg.weight_decay, param, grad, state0, state1, n);
      return;
  }
}

template void apply_update<float>(const OptimizerConfig&, double, int64_t, float*, const float*,
                                  float*, float*, int64_t);
template void apply_update<double>(const OptimizerConfig&, double, int64_t, double*, const double*,
                                   double*, double*, int64_t);

}  // namespace edgetrain::optim
