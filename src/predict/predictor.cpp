#include "predict/predictor.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "predict/step_features.hpp"

namespace edgetrain::predict {

int onednn_kernel_steps(const Plan& plan) {
  int n = 0;
  for (const Step& s : plan.steps) n += s.kernel && s.kernel->backend() == KernelBackend::onednn;
  return n;
}

int onednn_distinct_kernels(const Plan& plan, const Plan* also) {
  std::set<std::string> problems;
  for (const Plan* p : {&plan, also}) {
    if (!p) continue;
    for (const Step& s : p->steps)
      if (s.kernel && s.kernel->backend() == KernelBackend::onednn)
        problems.insert(s.op + "/" + std::string(pass_name(s.pass)) + "/" + s.problem);
  }
  return static_cast<int>(problems.size());
}

int onednn_gemm_passes(const Plan& plan) {
  bool pass[3] = {false, false, false};
  for (const Step& s : plan.steps)
    if (s.kind == StepKind::kernel && impl_code(s) == kImplOneDnnGemm) pass[static_cast<int>(s.pass)] = true;
  return pass[0] + pass[1] + pass[2];
}

PlanDescription describe(const Plan& plan, std::size_t input_bytes) {
  PlanDescription d;
  d.steps.reserve(plan.steps.size());
  for (const Step& s : plan.steps) d.steps.push_back(step_features(s));
  d.plan_bytes = plan.breakdown.total();
  d.onednn_kernels = onednn_distinct_kernels(plan);
  d.onednn_gemm_passes = onednn_gemm_passes(plan);
  d.input_bytes = input_bytes;
  return d;
}

Prediction predict(const Plan& plan, const DeviceProfile& profile, std::size_t input_bytes) {
  return predict(describe(plan, input_bytes), profile);
}

Prediction predict(const PlanDescription& plan, const DeviceProfile& profile) {
  Prediction p;
  p.plan_bytes = plan.plan_bytes;
  p.process_bytes = static_cast<std::size_t>(
      std::max(0.0, profile.memory.base_bytes + profile.memory.per_onednn_kernel_bytes * plan.onednn_kernels +
                        (plan.onednn_gemm_passes > 0 ? profile.memory.onednn_gemm_bytes : 0.0)));
  p.input_bytes = plan.input_bytes;
  p.total_bytes = p.plan_bytes + p.process_bytes + p.input_bytes;
  p.step_ms = profile.latency.predict_ms(plan.steps);
  for (double ms : p.step_ms) p.steps_ms += ms;
  p.overhead_ms =
      std::max(0.0, profile.overhead.base_ms + profile.overhead.per_step_ms * static_cast<double>(plan.steps.size()));
  p.total_ms = p.steps_ms + p.overhead_ms;
  return p;
}

std::size_t batch_input_bytes(const Plan& plan) {
  return plan.buffers.at(static_cast<size_t>(plan.input_buffer)).bytes +
         static_cast<std::size_t>(plan.batch) * sizeof(int32_t);
}

Plan plan_within(const Graph& graph, CompileOptions options, const DeviceProfile& profile, std::size_t budget,
                 bool* winograd_dropped) {
  if (winograd_dropped) *winograd_dropped = false;
  Plan plan = compile(graph, options);
  if (budget == 0 || !runs_winograd(plan) || predict(plan, profile, batch_input_bytes(plan)).total_bytes <= budget)
    return plan;
  options.winograd = false;
  Plan direct = compile(graph, options);
  if (direct.breakdown.total() >= plan.breakdown.total()) return plan;
  if (winograd_dropped) *winograd_dropped = true;
  return direct;
}

}  // namespace edgetrain::predict
