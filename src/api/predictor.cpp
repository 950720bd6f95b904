// Predictor: a device profile and the plan of a configuration -> predicted memory and time.
#include "edgetrain/predictor.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "api/convert.hpp"
#include "api/handles.hpp"
#include "core/check.hpp"
#include "io/profile_file.hpp"
#include "predict/predictor.hpp"
#include "train/fit_memory.hpp"

namespace edgetrain {

struct Predictor::Impl {
  predict::DeviceProfile profile;

  // The training step's plan within a process budget (see predict::plan_within).
  Plan plan(const Graph& graph, const TrainingOptions& o, int64_t batch, std::size_t budget, bool* dropped) const {
    TrainingOptions t = o;
    t.batch = batch;
    t.optimizer.lr = t.optimizer.base_lr();
    t.memory_budget = 0;  // the process budget below decides, not compile()'s plan budget
    return predict::plan_within(graph, api::training_compile_options(t), profile, budget, dropped);
  }

  CostEstimate estimate(const Graph& graph, const TrainingOptions& o, int64_t batch, int64_t epoch_samples,
                        std::size_t budget) const {
    bool dropped = false;
    return estimate(plan(graph, o, batch, budget, &dropped), epoch_samples, dropped);
  }

  CostEstimate estimate(const Plan& plan, int64_t epoch_samples, bool dropped) const {
    const int64_t batch = plan.batch;
    const predict::Prediction p = predict::predict(plan, profile, predict::batch_input_bytes(plan));
    CostEstimate e;
    e.plan = api::to_public(plan.breakdown);
    e.process_bytes = p.process_bytes;
    e.input_bytes = p.input_bytes;
    e.total_bytes = p.total_bytes;
    e.step_ms = p.total_ms;
    e.kernel_ms = p.steps_ms;
    e.overhead_ms = p.overhead_ms;
    e.epoch_seconds = p.total_ms / 1e3 * std::ceil(static_cast<double>(epoch_samples) / static_cast<double>(batch));
    e.winograd_dropped = dropped;
    return e;
  }
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
Predictor::~Predictor() = default;

Predictor Predictor::load(const std::string& profile_path) {
  auto impl = std::make_unique<Impl>();
  impl->profile = io::load_profile_file(profile_path);
  return Predictor(std::move(impl));
}

CostEstimate Predictor::estimate(const Model& model, const TrainingOptions& options, int64_t epoch_samples,
                                 std::size_t memory_budget) const {
  ET_REQUIRE(epoch_samples > 0, "epoch_samples must be positive, got {}", epoch_samples);
  return impl_->estimate(model.state().net.graph, options, options.batch, epoch_samples, memory_budget);
}

int64_t Predictor::largest_batch(const Model& model, const TrainingOptions& options, std::size_t memory_budget,
                                 int64_t max_batch) const {
  ET_REQUIRE(memory_budget > 0, "largest_batch needs a memory budget");
  ET_REQUIRE(max_batch > 0, "max_batch must be positive, got {}", max_batch);
  const Graph& g = model.state().net.graph;
  const auto fits = [&](int64_t b) { return impl_->estimate(g, options, b, b, memory_budget).total_bytes <= memory_budget; };
  if (!fits(1)) return 0;
  int64_t lo = 1, hi = 2;  // lo fits; find the first hi that does not
  while (hi <= max_batch && fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  hi = std::min(hi, max_batch + 1);
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

FitCostEstimate Predictor::estimate_fit(const Model& model, const TrainingOptions& options, const Dataset& train,
                                        const FitOptions& fit, std::size_t memory_budget) const {
  const Graph& g = model.state().net.graph;
  const data::Dataset& set = *train.handle().set;
  ET_REQUIRE(set.size() >= options.batch, "the training data has {} samples, fewer than one batch of {}", set.size(),
             options.batch);
  FitCostEstimate f;
  f.epoch_samples = set.size() / options.batch * options.batch;
  bool dropped = false;
  const Plan plan = impl_->plan(g, options, options.batch, memory_budget, &dropped);
  f.step = impl_->estimate(plan, f.epoch_samples, dropped);
  const data::Dataset* test = fit.test ? fit.test->handle().set.get() : nullptr;
  std::optional<Plan> eval_plan;  // as TrainingSession::evaluate compiles it
  if (test) {
    const int64_t batch = std::max<int64_t>(1, std::min(fit.eval_batch, test->size()));
    eval_plan = compile(g, api::inference_compile_options(options.engine, batch));
  }
  const FitMemory m = fit_memory(plan, eval_plan ? &*eval_plan : nullptr, set, test);
  const int new_kernels = predict::onednn_distinct_kernels(plan, eval_plan ? &*eval_plan : nullptr) -
                          predict::onednn_distinct_kernels(plan);
  const auto eval_kernels = static_cast<std::size_t>(std::max(0.0, impl_->profile.memory.per_onednn_kernel_bytes * new_kernels));
  f.data_bytes = m.data;
  f.loader_bytes = m.loader;
  f.evaluation_bytes = m.evaluation + eval_kernels;
  f.checkpoint_bytes = m.checkpoint;
  // The evaluation's generated kernels stay cached after the first epoch, checkpoints included.
  f.total_bytes = f.step.total_bytes - f.step.input_bytes + m.peak_extra() + eval_kernels;
  f.epoch_seconds = f.step.epoch_seconds;
  return f;
}

std::string Predictor::device() const { return impl_->profile.device; }
int Predictor::threads() const { return impl_->profile.threads; }

}  // namespace edgetrain
