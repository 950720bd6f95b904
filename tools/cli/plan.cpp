// edgetrain plan: the memory of a training configuration, from the compiled step, before anything
// runs (the arena is not allocated).
#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"
#include "edgetrain/edgetrain.hpp"
#include "environment.hpp"
#include "model_spec.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct PlanOptions {
  ModelSpec model;
  int64_t batch = 64;
  std::string trainable = "all";
  std::string optimizer = "sgd";
  bool freeze_bn = false;
  bool inference = false;
  std::string memory_budget;
  int top = 8;
  std::string json;
  std::string backend = "auto";
};

int run_plan(const PlanOptions& o) {
  const Model model = open_api_model(o.model, 0, Shape{}, 1);
  PlanSummary plan;
  if (o.inference) {
    InferenceOptions io;
    io.batch = o.batch;
    io.engine = engine_options(o.backend);
    plan = InferenceSession::preview(model, io);
  } else {
    TrainingOptions t;
    t.batch = o.batch;
    t.trainable = Trainable::parse(o.trainable);
    t.freeze_bn = o.freeze_bn;
    t.optimizer.kind = parse_optimizer(o.optimizer);
    t.engine = engine_options(o.backend);
    if (!o.memory_budget.empty()) t.memory_budget = parse_bytes(o.memory_budget);
    plan = TrainingSession::preview(model, t);
  }
  const std::vector<int64_t> chw = model.input_chw();
  fmt::print("{} (input {}, {} classes), trainable {}, optimizer {}\n", model.arch(),
             shape_text({1, chw[0], chw[1], chw[2]}), model.num_classes(), o.trainable, o.optimizer);
  print_plan(plan);
  fmt::print("  steps              {} ({} backward), {:.2f} GFLOP per step\n", plan.steps, plan.backward_steps,
             2.0 * static_cast<double>(plan.step_macs) / 1e9);
  std::vector<BufferInfo> buffers = plan.buffers;
  std::stable_sort(buffers.begin(), buffers.end(), [](const BufferInfo& a, const BufferInfo& b) { return a.bytes > b.bytes; });
  fmt::print("  largest planned buffers:\n");
  for (size_t i = 0; i < buffers.size() && static_cast<int>(i) < o.top; ++i) {
    const BufferInfo& r = buffers[i];
    fmt::print("    {:>10}  {:<16} steps {}..{}  {}\n", format_bytes(r.bytes), r.kind, r.first_step, r.last_step, r.label);
  }
  nlohmann::json j = plan_json(plan);
  j["model"] = model.arch();
  j["trainable"] = o.trainable;
  j["optimizer"] = o.optimizer;
  write_json(o.json, j);
  return 0;
}

}  // namespace

Action add_plan(CLI::App& app) {
  auto o = std::make_shared<PlanOptions>();
  add_model_options(app, o->model);
  app.add_option("--batch", o->batch, "batch size")->capture_default_str();
  app.add_option("--trainable", o->trainable, "all | classifier | last:K | bias | names:GLOB[,GLOB]")->capture_default_str();
  app.add_option("--optimizer", o->optimizer, "sgd | adam | adamw (decides optimizer state)")->capture_default_str();
  app.add_flag("--freeze-bn", o->freeze_bn, "BatchNorm uses running statistics");
  app.add_flag("--inference", o->inference, "plan an inference step instead of a training step");
  app.add_option("--memory-budget", o->memory_budget, "fail if the plan needs more (e.g. 256M)");
  app.add_option("--top", o->top, "list this many of the largest buffers")->capture_default_str();
  app.add_option("--json", o->json, "write a machine-readable report here");
  app.add_option("--backend", o->backend, "kernels: auto (fastest available), onednn, ref")->capture_default_str();
  return [o] { return run_plan(*o); };
}

}  // namespace edgetrain::cli
