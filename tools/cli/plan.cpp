// edgetrain plan: the memory of a training configuration, from the compiled step, before anything
// runs (the arena is not allocated).
#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"
#include "model_spec.hpp"
#include "optim/optimizer_config.hpp"
#include "runtime/compile.hpp"
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
  Model model = open_model(o.model, 0, Shape{}, 1);
  CompileOptions c;
  c.batch = o.batch;
  c.training = !o.inference;
  c.trainable = parse_trainable(o.trainable);
  c.freeze_bn_stats = o.freeze_bn;
  c.optimizer.kind = optim::parse_optimizer(o.optimizer);
  c.planner = planner_from_env();
  c.backend = o.backend;
  if (!o.memory_budget.empty()) c.memory_budget = parse_bytes(o.memory_budget);
  Plan plan = compile(model.graph, c);
  fmt::print("{} (input {}, {} classes), trainable {}, optimizer {}\n", model.info.arch,
             model.graph.input_shape().str(), model.graph.num_classes(), o.trainable, o.optimizer);
  print_plan(plan);
  int64_t bwd = 0;
  for (const Step& s : plan.steps) bwd += s.kind == StepKind::kernel && s.pass != Pass::fwd;
  fmt::print("  steps              {} ({} backward), {:.2f} GFLOP per step\n", plan.steps.size(), bwd,
             2.0 * static_cast<double>(plan.trained_macs) / 1e9);
  std::vector<size_t> order(plan.buffers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return plan.buffers[a].bytes > plan.buffers[b].bytes; });
  fmt::print("  largest planned buffers:\n");
  for (size_t i = 0; i < order.size() && static_cast<int>(i) < o.top; ++i) {
    const BufferRequest& r = plan.buffers[order[i]];
    fmt::print("    {:>10}  {:<16} steps {}..{}  {}\n", human_bytes(r.bytes), buffer_kind_name(r.kind), r.first_step,
               r.last_step, r.label);
  }
  nlohmann::json j = plan_json(plan);
  j["model"] = model.info.arch;
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
