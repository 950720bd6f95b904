// edgetrain plan: the memory of a training configuration, from the compiled step, before anything
// runs (the arena is not allocated).
#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"
#include "edgetrain/edgetrain.hpp"
#include "environment.hpp"
#include "model_spec.hpp"
#include "plan_timeline.hpp"
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
  std::string precision = "f32";
  bool steps = false;    // list every step and every buffer
  std::string timeline;  // SVG of the buffers over the steps
};

// Every step top-down (what runs, in which layouts, on which buffers), then every buffer (where the
// planner put it and when it lives).
void print_steps(const PlanSummary& plan) {
  fmt::print("\n  {:>4}  {:<11} {:<13} {:<28} {:<34} {:<24} {:<5} {:>9}  {}\n", "step", "pass", "op", "name",
             "implementation", "layouts", "dtype", "MMAC", "buffers");
  for (size_t i = 0; i < plan.step_list.size(); ++i) {
    const StepInfo& s = plan.step_list[i];
    fmt::print("  {:>4}  {:<11} {:<13} {:<28} {:<34} {:<24} {:<5} {:>9.2f}  {}\n", i, s.pass, s.op, s.name,
               s.implementation, s.layouts, s.dtype, static_cast<double>(s.macs) / 1e6, fmt::join(s.buffers, ","));
  }
  fmt::print("\n  {:>6}  {:>12} {:>10}  {:>11}  {:<16} {}\n", "buffer", "offset", "size", "steps", "kind", "holds");
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const BufferInfo& r = plan.buffers[b];
    fmt::print("  {:>6}  {:>12} {:>10}  {:>5}..{:<4}  {:<16} {}\n", b, r.offset, format_bytes(r.bytes), r.first_step,
               r.last_step, r.kind, r.label);
  }
}

nlohmann::json steps_json(const PlanSummary& plan) {
  nlohmann::json steps = nlohmann::json::array(), buffers = nlohmann::json::array();
  for (const StepInfo& s : plan.step_list)
    steps.push_back({{"name", s.name},
                     {"op", s.op},
                     {"pass", s.pass},
                     {"implementation", s.implementation},
                     {"problem", s.problem},
                     {"layouts", s.layouts},
                     {"dtype", s.dtype},
                     {"macs", s.macs},
                     {"buffers", s.buffers}});
  for (const BufferInfo& b : plan.buffers)
    buffers.push_back({{"label", b.label},
                       {"kind", b.kind},
                       {"bytes", b.bytes},
                       {"offset", b.offset},
                       {"first_step", b.first_step},
                       {"last_step", b.last_step}});
  return {{"step_list", steps}, {"buffers", buffers}};
}

int run_plan(const PlanOptions& o) {
  const Model model = open_api_model(o.model, 0, Shape{}, 1);
  PlanSummary plan;
  if (o.inference) {
    InferenceOptions io;
    io.batch = o.batch;
    io.engine = engine_options(o.backend, o.precision);
    plan = InferenceSession::preview(model, io);
  } else {
    TrainingOptions t;
    t.batch = o.batch;
    t.trainable = Trainable::parse(o.trainable);
    t.freeze_bn = o.freeze_bn;
    t.optimizer.kind = parse_optimizer(o.optimizer);
    t.engine = engine_options(o.backend, o.precision);
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
  std::stable_sort(buffers.begin(), buffers.end(),
                   [](const BufferInfo& a, const BufferInfo& b) { return a.bytes > b.bytes; });
  fmt::print("  largest planned buffers:\n");
  for (size_t i = 0; i < buffers.size() && static_cast<int>(i) < o.top; ++i) {
    const BufferInfo& r = buffers[i];
    fmt::print("    {:>10}  {:<16} steps {}..{}  {}\n", format_bytes(r.bytes), r.kind, r.first_step, r.last_step,
               r.label);
  }
  if (o.steps) print_steps(plan);
  if (!o.timeline.empty()) {
    write_text(o.timeline, timeline_svg(plan, fmt::format("{} batch {}: {} ({} steps, arena {})", model.arch(), o.batch,
                                                          o.inference ? "inference" : "training step", plan.steps,
                                                          format_bytes(plan.memory.arena))));
    fmt::print("  timeline           {}\n", o.timeline);
  }
  nlohmann::json j = plan_json(plan);
  if (o.steps) j.update(steps_json(plan));
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
  app.add_option("--trainable", o->trainable, "all | classifier | last:K | bias | names:GLOB[,GLOB]")
      ->capture_default_str();
  app.add_option("--optimizer", o->optimizer, "sgd | adam | adamw (decides optimizer state)")->capture_default_str();
  app.add_flag("--freeze-bn", o->freeze_bn, "BatchNorm uses running statistics");
  app.add_flag("--inference", o->inference, "plan an inference step instead of a training step");
  app.add_option("--memory-budget", o->memory_budget, "fail if the plan needs more (e.g. 256M)");
  app.add_option("--top", o->top, "list this many of the largest buffers")->capture_default_str();
  app.add_option("--json", o->json, "write a machine-readable report here");
  add_precision_option(app, o->precision);
  app.add_option("--backend", o->backend,
                 "kernels: auto (fastest available), onednn, native (edgetrain's own loops), ref (reference loops)")
      ->capture_default_str();
  app.add_flag("--steps", o->steps,
               "list every step (op, pass, implementation, layouts, buffers) and every buffer "
               "(offset, size, first and last step)");
  app.add_option("--timeline", o->timeline, "draw the buffers over the steps as an SVG file (the memory lifecycle)");
  return [o] { return run_plan(*o); };
}

}  // namespace edgetrain::cli
