#include "api/convert.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace edgetrain::api {

namespace {

// The public enums list their choices in the internal enums' order: a cast maps one onto the other.
static_assert(static_cast<int>(Optimizer::adamw) == static_cast<int>(optim::OptimizerKind::adamw) &&
              static_cast<int>(Optimizer::adam) == static_cast<int>(optim::OptimizerKind::adam));
static_assert(static_cast<int>(Schedule::cosine) == static_cast<int>(optim::ScheduleKind::cosine) &&
              static_cast<int>(Schedule::step) == static_cast<int>(optim::ScheduleKind::step));
static_assert(static_cast<int>(Trainable::Mode::classifier) == static_cast<int>(TrainableSpec::Mode::classifier) &&
              static_cast<int>(Trainable::Mode::last_k) == static_cast<int>(TrainableSpec::Mode::last_k) &&
              static_cast<int>(Trainable::Mode::bias) == static_cast<int>(TrainableSpec::Mode::bias_only) &&
              static_cast<int>(Trainable::Mode::names) == static_cast<int>(TrainableSpec::Mode::names));

template <class To, class From>
To same_order(From f) {
  return static_cast<To>(static_cast<int>(f));
}

}  // namespace

Optimizer from_internal(optim::OptimizerKind k) { return same_order<Optimizer>(k); }
Schedule from_internal(optim::ScheduleKind k) { return same_order<Schedule>(k); }
std::string_view name_of(Optimizer k) { return optim::optimizer_name(same_order<optim::OptimizerKind>(k)); }
std::string_view name_of(Schedule k) { return optim::schedule_name(same_order<optim::ScheduleKind>(k)); }

BackendChoice to_internal(Backend b) {
  switch (b) {
    case Backend::automatic: return std::nullopt;
    case Backend::onednn: return KernelBackend::onednn;
    case Backend::native: return KernelBackend::native;
    case Backend::reference: return KernelBackend::reference;
  }
  return std::nullopt;
}

std::string backend_name(Backend b) { return std::string(backend_choice_name(to_internal(b))); }

Backend backend_from_name(const std::string& name) {
  const BackendChoice c = parse_backend_choice(name);
  if (!c) return Backend::automatic;
  switch (*c) {
    case KernelBackend::onednn: return Backend::onednn;
    case KernelBackend::native: return Backend::native;
    case KernelBackend::reference: return Backend::reference;
  }
  return Backend::automatic;
}

void apply_engine(CompileOptions& o, const EngineOptions& e) {
  o.backend = to_internal(e.backend);
  o.planner = e.planner == Planner::no_reuse ? PlannerKind::no_reuse : PlannerKind::greedy_by_size;
  o.blocked_layouts = e.blocked_layouts;
  o.blocked_params = e.blocked_params;
  o.fuse_activations = e.fuse_activations;
  o.winograd = e.winograd;
  o.activations = activation_type(e.precision);
}

DType activation_type(Precision p) {
  switch (p) {
    case Precision::f32: return DType::f32;
    case Precision::bf16: return DType::bf16;
    case Precision::fx8: return DType::fx8;
    case Precision::fx12: return DType::fx12;
    case Precision::fx14: return DType::fx14;
    case Precision::fx16: return DType::fx16;
    case Precision::muppet: return DType::fx8;
  }
  return DType::f32;
}

optim::OptimizerConfig to_internal(const OptimizerOptions& o) {
  optim::OptimizerConfig c;
  c.kind = same_order<optim::OptimizerKind>(o.kind);
  c.lr = o.base_lr();
  c.momentum = o.momentum;
  c.nesterov = o.nesterov;
  c.weight_decay = o.weight_decay;
  c.beta1 = o.beta1;
  c.beta2 = o.beta2;
  c.eps = o.eps;
  return c;
}

optim::ScheduleConfig to_internal(const ScheduleOptions& s) {
  optim::ScheduleConfig c;
  c.kind = same_order<optim::ScheduleKind>(s.kind);
  c.warmup_iters = s.warmup_steps;
  c.warmup_start_factor = s.warmup_start_factor;
  c.step_size_iters = s.step_size;
  c.gamma = s.gamma;
  c.total_iters = s.total_steps;
  c.min_lr = s.min_lr;
  return c;
}

TrainableSpec to_internal(const Trainable& t) {
  TrainableSpec s;
  s.mode = same_order<TrainableSpec::Mode>(t.mode);
  s.k = t.k;
  s.patterns = t.patterns;
  ET_REQUIRE(s.mode != TrainableSpec::Mode::last_k || s.k > 0, "trainable last:K needs K > 0, got {}", s.k);
  ET_REQUIRE(s.mode != TrainableSpec::Mode::names || !s.patterns.empty(), "trainable names: needs at least one name");
  return s;
}

Trainable from_internal(const TrainableSpec& s) {
  Trainable t;
  t.mode = same_order<Trainable::Mode>(s.mode);
  t.k = s.k;
  t.patterns = s.patterns;
  return t;
}

MemoryBreakdown to_public(const PlanBreakdown& b) {
  MemoryBreakdown m;
  m.weights = b.weights;
  m.bn_state = b.state;
  m.optimizer_state = b.optimizer_state;
  m.arena = b.arena;
  m.kernel_workspace = b.kernel_workspace;
  m.io = b.requested(BufferKind::io);
  m.activations = b.requested(BufferKind::activation);
  m.saved = b.requested(BufferKind::saved_aux);
  m.activation_grads = b.requested(BufferKind::activation_grad);
  m.weight_grads = b.requested(BufferKind::weight_grad);
  m.workspace = b.requested(BufferKind::workspace);
  m.total = b.total();
  return m;
}

namespace {

// The arena buffers a step's tensors live in, each once, in order of first mention.
std::vector<int> step_buffers(const StepRefs& r) {
  std::vector<int> out;
  const auto add = [&](const TensorRef& t) {
    if (t.space == TensorRef::Space::arena && std::find(out.begin(), out.end(), t.index) == out.end())
      out.push_back(t.index);
  };
  for (const auto* list : {&r.src, &r.weights, &r.state, &r.aux, &r.diff_src, &r.diff_weights})
    for (const TensorRef& t : *list) add(t);
  for (const TensorRef* t : {&r.dst, &r.diff_dst, &r.scratch}) add(*t);
  return out;
}

StepInfo describe_step(const Plan& plan, const Step& st) {
  StepInfo i;
  i.name = st.name;
  i.op = st.op;
  i.pass = st.kind == StepKind::kernel ? std::string(pass_name(st.pass)) : "-";
  if (st.kernel) {
    i.implementation.append(st.kernel->impl_name());
    if (!st.kernel->detail().empty()) i.implementation.append(" ").append(st.kernel->detail());
  }
  i.problem = st.problem;
  if (st.kind == StepKind::kernel) {
    for (size_t k = 0; k < st.src_layouts.size(); ++k) {
      if (k > 0) i.layouts.append(", ");
      i.layouts.append(layout_name(st.src_layouts[k]));
    }
    i.layouts.append(" -> ").append(layout_name(st.dst_layout));
  }
  const TensorRef& out = st.refs.dst || st.refs.diff_src.empty() ? st.refs.dst : st.refs.diff_src[0];
  i.dtype = std::string(dtype_info(out ? out.dtype : DType::f32).name);
  i.macs = st.macs;
  i.buffers = step_buffers(st.refs);
  return i;
}

}  // namespace

PlanSummary summarize(const Plan& plan) {
  PlanSummary s;
  s.batch = plan.batch;
  s.training = plan.training;
  s.steps = static_cast<int64_t>(plan.steps.size());
  for (const Step& st : plan.steps) s.backward_steps += st.kind == StepKind::kernel && st.pass != Pass::fwd;
  for (bool t : plan.trainable) s.trainable_tensors += t;
  s.forward_macs = plan.forward_macs;
  s.step_macs = plan.trained_macs;
  s.memory = to_public(plan.breakdown);
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const BufferRequest& r = plan.buffers[b];
    const std::size_t offset = b < plan.memory.offsets.size() ? plan.memory.offsets[b] : 0;
    s.buffers.push_back({r.label, std::string(buffer_kind_name(r.kind)), r.bytes, offset, r.first_step, r.last_step});
  }
  for (const Step& st : plan.steps) s.step_list.push_back(describe_step(plan, st));
  return s;
}

CompileOptions training_compile_options(const TrainingOptions& o) {
  ET_REQUIRE(o.batch > 0, "batch size must be positive, got {}", o.batch);
  CompileOptions c;
  c.batch = o.batch;
  c.training = true;
  c.trainable = to_internal(o.trainable);
  c.freeze_bn_stats = o.freeze_bn;
  c.optimizer = to_internal(o.optimizer);
  c.memory_budget = o.memory_budget;
  apply_engine(c, o.engine);
  return c;
}

CompileOptions inference_compile_options(const EngineOptions& engine, int64_t batch) {
  ET_REQUIRE(batch > 0, "batch size must be positive, got {}", batch);
  CompileOptions c;
  apply_engine(c, engine);
  // Fixed point is a training technique on f32 master weights (MuPPET), emulated in f32: inference of
  // those weights runs in f32, deterministic and faster.
  if (is_fixed_point(c.activations)) c.activations = DType::f32;
  c.batch = batch;
  c.training = false;
  c.blocked_params = false;
  return c;
}

std::vector<int64_t> dims(const Shape& s) { return s.dims(); }

Shape chw_shape(const std::vector<int64_t>& chw, const char* what) {
  ET_REQUIRE(chw.size() == 3 && chw[0] > 0 && chw[1] > 0 && chw[2] > 0,
             "{} must be {{C, H, W}} with positive sizes, got {} values", what, chw.size());
  return Shape(chw);
}

}  // namespace edgetrain::api
