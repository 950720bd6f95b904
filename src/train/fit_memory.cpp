#include "train/fit_memory.hpp"

#include "data/loader.hpp"

namespace edgetrain {

namespace {
std::size_t batch_bytes(int64_t batch, int64_t sample_numel) {
  return static_cast<std::size_t>(batch) * (static_cast<std::size_t>(sample_numel) * sizeof(float) + sizeof(int32_t));
}
}  // namespace

FitMemory fit_memory(const Plan& train_plan, const Plan* eval_plan, const data::Dataset& train,
                     const data::Dataset* test) {
  const int64_t numel = train.sample_shape().numel();
  const int prefetch = data::LoaderOptions{}.prefetch;
  FitMemory m;
  m.data = train.resident_bytes() + (test ? test->resident_bytes() : 0);
  m.loader = static_cast<std::size_t>(prefetch + 1) * batch_bytes(train_plan.batch, numel);
  if (eval_plan)
    m.evaluation = eval_plan->breakdown.arena + eval_plan->breakdown.kernel_workspace +
                   static_cast<std::size_t>(prefetch + 1) * batch_bytes(eval_plan->batch, numel);
  const PlanBreakdown& b = train_plan.breakdown;
  m.checkpoint = 2 * (b.weights + b.state + b.optimizer_state);
  return m;
}

}  // namespace edgetrain
