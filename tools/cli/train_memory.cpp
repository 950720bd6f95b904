#include "train_memory.hpp"

#include "data/loader.hpp"

namespace edgetrain::cli {

namespace {
std::size_t stored_bytes(const data::Dataset* d) { return d ? d->resident_bytes() : 0; }
std::size_t batch_bytes(int64_t batch, int64_t sample_numel) {
  return static_cast<std::size_t>(batch) * (static_cast<std::size_t>(sample_numel) * sizeof(float) + sizeof(int32_t));
}
}  // namespace

TrainProcessMemory train_process_memory(const Plan& train_plan, const Plan* eval_plan, const DataSplits& data) {
  const int64_t numel = data.train->sample_shape().numel();
  const int prefetch = data::LoaderOptions{}.prefetch;
  TrainProcessMemory m;
  m.data = stored_bytes(data.train.get()) + stored_bytes(data.test.get());
  m.loader = static_cast<std::size_t>(prefetch + 1) * batch_bytes(train_plan.batch, numel);
  if (eval_plan)
    m.evaluation = eval_plan->breakdown.arena + eval_plan->breakdown.kernel_workspace +
                   static_cast<std::size_t>(prefetch + 1) * batch_bytes(eval_plan->batch, numel);
  const PlanBreakdown& b = train_plan.breakdown;
  m.checkpoint = 2 * (b.weights + b.state + b.optimizer_state);
  return m;
}

}  // namespace edgetrain::cli
