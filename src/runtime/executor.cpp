#include "runtime/executor.hpp"

#include <chrono>
#include <cstring>

#include "core/check.hpp"
#include "core/log.hpp"
#include "kernels/ref/elementwise.hpp"
#include "kernels/registry.hpp"
#include "optim/update.hpp"

namespace edgetrain {

Executor::Executor(const Plan& plan, const ParameterStore& params, OptimizerState* optimizer)
    : plan_(plan), params_(params), optimizer_(optimizer), arena_(plan.memory.arena_bytes) {
  ET_REQUIRE(!plan.training || optimizer != nullptr, "a training plan needs optimizer state");
  if (optimizer) lr_ = optimizer->config().lr;
  if (plan.breakdown.kernel_workspace > 0) reserve_persistent_workspace();  // resident now, as planned
  args_.resize(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const StepRefs& r = plan.steps[i].refs;
    KernelArgs& a = args_[i];
    auto bind = [&](const std::vector<TensorRef>& refs, std::vector<TensorView>& out) {
      out.clear();
      for (const TensorRef& t : refs) out.push_back(resolve(t));
    };
    bind(r.src, a.src);
    bind(r.weights, a.weights);
    bind(r.state, a.state);
    bind(r.aux, a.aux);
    bind(r.diff_src, a.diff_src);
    bind(r.diff_weights, a.diff_weights);
    a.dst = resolve(r.dst);
    a.diff_dst = resolve(r.diff_dst);
    a.scratch = resolve(r.scratch);
  }
  step_seeds_.assign(plan.steps.size(), 0);
  for (size_t i = 0; i < plan.steps.size(); ++i) args_[i].step_seed = &step_seeds_[i];
}

TensorView Executor::resolve(const TensorRef& t) const {
  switch (t.space) {
    case TensorRef::Space::none: return {};
    case TensorRef::Space::arena:
      return TensorView(arena_.data() + plan_.memory.offsets[static_cast<size_t>(t.index)], t.shape, t.dtype);
    case TensorRef::Space::param: return params_.stored_param(t.index);
    case TensorRef::Space::state: return params_.state(t.index);
    case TensorRef::Space::opt_state: return optimizer_->stored_slot(t.index, t.slot);
  }
  return {};
}

TensorView Executor::buffer(int request) const {
  const BufferRequest& r = plan_.buffers.at(static_cast<size_t>(request));
  return TensorView(arena_.data() + plan_.memory.offsets[static_cast<size_t>(request)],
                    Shape{static_cast<int64_t>(r.bytes)}, DType::u8);
}

std::byte* Executor::buffer_data(int request) const {
  return arena_.data() + plan_.memory.offsets[static_cast<size_t>(request)];
}

std::vector<float> Executor::param_gradient(int p) const {
  const int b = plan_.param_grad_buffers.at(static_cast<size_t>(p));
  if (b < 0) return {};
  const auto* g = reinterpret_cast<const float*>(buffer_data(b));
  return row_major_gradient(p, std::vector<float>(g, g + plan_.buffers[static_cast<size_t>(b)].bytes / sizeof(float)));
}

std::vector<float> Executor::row_major_gradient(int p, const std::vector<float>& tap) const {
  std::vector<float> out = tap;
  relayout_params(out.data(), static_cast<int64_t>(out.size()), plan_.param_layouts[static_cast<size_t>(p)], {});
  return out;
}

void Executor::set_gradient_taps(std::vector<std::vector<float>>* taps) {
  gradient_taps_ = taps;
  if (!taps) return;
  taps->resize(plan_.param_grad_buffers.size());
  for (size_t p = 0; p < plan_.param_grad_buffers.size(); ++p) {
    const int b = plan_.param_grad_buffers[p];
    (*taps)[p].resize(b < 0 ? 0 : plan_.buffers[static_cast<size_t>(b)].bytes / sizeof(float));
  }
}

void Executor::set_step_times(std::vector<double>* ms) {
  step_ms_ = ms;
  if (ms) ms->assign(plan_.steps.size(), 0.0);
}

float Executor::loss() const { return *reinterpret_cast<const float*>(buffer_data(plan_.loss_buffer)); }

const int32_t* Executor::predictions() const {
  return reinterpret_cast<const int32_t*>(buffer_data(plan_.prediction_buffer));
}

// Parameters (and their optimizer state) in this plan's layouts: a no-op comparison each step, a
// conversion only after someone outside read them row-major (a checkpoint, an evaluation on another
// plan) or before the first step.
void Executor::adopt_param_layouts() const {
  params_.set_layouts(plan_.param_layouts);
  if (optimizer_)
    for (size_t p = 0; p < plan_.param_layouts.size(); ++p)
      optimizer_->set_layout(static_cast<int>(p), plan_.param_layouts[p]);
}

void Executor::run(const float* images, const int32_t* labels) {
  std::memcpy(input_images(), images, plan_.buffers[static_cast<size_t>(plan_.input_buffer)].bytes);
  std::memcpy(input_labels(), labels, static_cast<size_t>(plan_.batch) * sizeof(int32_t));
  run();
}

void Executor::run() {
  const int32_t* labels = input_labels();
  // Labels are the only input that can break a kernel's assumptions: check them first.
  for (int64_t i = 0; i < plan_.batch; ++i)
    ET_REQUIRE(labels[i] >= 0 && labels[i] < plan_.num_classes,
               "label {} of sample {} is outside the model's {} classes", labels[i], i, plan_.num_classes);
  adopt_param_layouts();

  ++runs_;
  if (optimizer_ && plan_.training) ++optimizer_->step;
  // Dropout masks are a function of (seed, optimizer step): a resumed run draws the same masks.
  const uint64_t counter = optimizer_ ? static_cast<uint64_t>(optimizer_->step) : static_cast<uint64_t>(runs_);
  step_seed_ = seed_ * 0x9E3779B97F4A7C15ull + counter;
  for (size_t i = 0; i < plan_.steps.size(); ++i)
    step_seeds_[i] = step_seed_ ^ (static_cast<uint64_t>(plan_.steps[i].node + 1) * 0xD1B54A32D192ED03ull);
  const bool verbose = verbose_level() >= 1;
  const bool timed = verbose || step_ms_ != nullptr;
  for (size_t i = 0; i < plan_.steps.size(); ++i) {
    const Step& s = plan_.steps[i];
    const KernelArgs& a = args_[i];
    auto t0 = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    switch (s.kind) {
      case StepKind::kernel: s.kernel->execute(a); break;
      case StepKind::accumulate: ref::add_into(a.dst, a.src[0], step_seeds_[i] + i); break;  // seeds fixed point
      case StepKind::update:
        if (gradient_taps_) {
          std::vector<float>& tap = (*gradient_taps_)[static_cast<size_t>(s.param)];
          std::memcpy(tap.data(), a.diff_weights[0].data, tap.size() * sizeof(float));  // the whole buffer
        }
        optim::apply_update<float>(optimizer_->config(), lr_, optimizer_->step, a.weights[0].as<float>(),
                                   a.diff_weights[0].as<float>(), a.state.size() > 0 ? a.state[0].as<float>() : nullptr,
                                   a.state.size() > 1 ? a.state[1].as<float>() : nullptr, a.weights[0].numel());
        break;
    }
    if (timed) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (step_ms_) (*step_ms_)[i] = ms;
      if (!verbose) continue;
      const std::string_view pass = s.kind == StepKind::kernel ? pass_name(s.pass) : "-";
      const std::string_view impl = s.kind == StepKind::kernel ? s.kernel->impl_name() : "ref";
      const std::string_view detail = s.kind == StepKind::kernel ? s.kernel->detail() : std::string_view{};
      const std::string_view type = dtype_info(a.dst ? a.dst.dtype : a.diff_dst ? a.diff_dst.dtype : DType::f32).name;
      std::fprintf(stderr, "exec,%s,%.*s,%.*s,%.*s,%s,%.4f,reorders=%d,detail=%.*s\n", s.op.c_str(),
                   static_cast<int>(pass.size()), pass.data(), static_cast<int>(impl.size()), impl.data(),
                   static_cast<int>(type.size()), type.data(), s.problem.c_str(), ms,
                   s.kind == StepKind::kernel ? s.kernel->reorders() : 0, static_cast<int>(detail.size()),
                   detail.data());
    }
  }
}

}  // namespace edgetrain
