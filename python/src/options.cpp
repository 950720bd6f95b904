// Enums, option structs and the plan/memory result structs shared by the sessions.
#include "common.hpp"

namespace etpy {

using namespace edgetrain;

namespace {

void bind_enums(py::module_& m) {
  py::enum_<Precision>(m, "Precision", "Element type of activations and their gradients.")
      .value("f32", Precision::f32, "single precision")
      .value("bf16", Precision::bf16, "bfloat16 activations and gradients; f32 weights, optimizer state and loss")
      .value("fx8", Precision::fx8, "8-bit dynamic fixed point (MuPPET), emulated in f32")
      .value("fx12", Precision::fx12, "12-bit dynamic fixed point")
      .value("fx14", Precision::fx14, "14-bit dynamic fixed point")
      .value("fx16", Precision::fx16, "16-bit dynamic fixed point")
      .value("muppet", Precision::muppet, "MuPPET's schedule: fx8 to f32 by gradient diversity");
  py::enum_<Backend>(m, "Backend", "Which kernels run.")
      .value("automatic", Backend::automatic,
             "oneDNN where it has a kernel, then edgetrain's native loops, then the reference")
      .value("onednn", Backend::onednn, "oneDNN first (the same as automatic)")
      .value("native", Backend::native, "edgetrain's native loops first, the reference otherwise")
      .value("reference", Backend::reference, "the plain reference loops only (slow)");
  py::enum_<Planner>(m, "Planner", "How planned buffers share memory.")
      .value("greedy_by_size", Planner::greedy_by_size, "reuse memory, greedy by size (default)")
      .value("no_reuse", Planner::no_reuse, "every buffer its own bytes (a reference)");
  py::enum_<Optimizer>(m, "Optimizer", "The update rule.")
      .value("sgd", Optimizer::sgd, "SGD with optional (Nesterov) momentum")
      .value("adam", Optimizer::adam, "Adam")
      .value("adamw", Optimizer::adamw, "Adam with decoupled weight decay");
  py::enum_<Schedule>(m, "Schedule", "Learning-rate schedule shapes (after an optional warm-up).")
      .value("constant", Schedule::constant, "constant")
      .value("step", Schedule::step, "decay by gamma every step_size steps")
      .value("cosine", Schedule::cosine, "cosine down to min_lr at total_steps");
  py::enum_<PruneCriterion>(m, "PruneCriterion", "How channels are ranked for structured pruning.")
      .value("l1", PruneCriterion::l1, "weight L1 norm")
      .value("random", PruneCriterion::random, "random")
      .value("activation", PruneCriterion::activation, "activation magnitude (needs data)")
      .value("apoz", PruneCriterion::apoz, "average percentage of zeros (needs data)")
      .value("taylor", PruneCriterion::taylor, "first-order Taylor importance (needs data)");

  Struct<EngineOptions>(m, "EngineOptions", "Engine switches: the fastest settings by default.")
      .field("backend", &EngineOptions::backend, "kernel family to try first (Backend)")
      .field("planner", &EngineOptions::planner, "memory reuse between planned buffers (Planner)")
      .field("blocked_layouts", &EngineOptions::blocked_layouts, "keep activations in oneDNN's blocked layout")
      .field("blocked_params", &EngineOptions::blocked_params, "keep convolution weights blocked while training")
      .field("fuse_activations", &EngineOptions::fuse_activations, "fuse ReLU/ReLU6 into the producing step")
      .field("winograd", &EngineOptions::winograd, "Winograd 3x3 convolutions where faster")
      .field("precision", &EngineOptions::precision, "element type of activations and gradients (Precision)")
      .done();
  Struct<PrecisionScheduleOptions>(m, "PrecisionScheduleOptions", "MuPPET's switching parameters (Precision.muppet).")
      .field("resolution", &PrecisionScheduleOptions::resolution, "epochs pooled into one diversity estimate (>= 2)")
      .field("violations_to_switch", &PrecisionScheduleOptions::violations_to_switch,
             "threshold violations that move to the next precision")
      .done();
}

void bind_trainable(py::module_& m) {
  // Trainable: also constructible from its CLI text, so options accept trainable="last:2".
  Struct<Trainable> trainable(m, "Trainable", "Which parameters train (see the static factories and parse()).");
  py::enum_<Trainable::Mode>(trainable.cls(), "Mode", "What a Trainable selects.")
      .value("all", Trainable::Mode::all, "every parameter")
      .value("classifier", Trainable::Mode::classifier, "the layer that makes the logits")
      .value("last_k", Trainable::Mode::last_k, "the last k Conv2d/Linear layers with their BatchNorms")
      .value("bias", Trainable::Mode::bias, "biases only")
      .value("names", Trainable::Mode::names, "parameters matching any of the patterns");
  trainable.field("mode", &Trainable::mode, "what is selected (Trainable.Mode)")
      .field("k", &Trainable::k, "last_k: the number of layers")
      .field("patterns", &Trainable::patterns, "names: parameter names or globs (\"layer4.*\")")
      .done()
      .def(py::init(&Trainable::parse), py::arg("text"),
           "From the CLI syntax: \"all\", \"classifier\", \"last:K\", \"bias\", \"names:GLOB,GLOB\".")
      .def_static("all", &Trainable::all, "Every parameter.")
      .def_static("classifier", &Trainable::classifier, "The layer that makes the logits.")
      .def_static("last", &Trainable::last, py::arg("k"), "The last k layers.")
      .def_static("bias", &Trainable::bias, "Biases only.")
      .def_static("names", &Trainable::names, py::arg("patterns"), "Parameters matching any glob.")
      .def_static(
          "parse", &Trainable::parse, py::arg("text"),
          "The CLI syntax: \"all\", \"classifier\", \"last:K\", \"bias\", \"names:GLOB,GLOB\"; raises Error otherwise.")
      .def("str", &Trainable::str, "The CLI syntax of this spec.")
      .def("__str__", &Trainable::str, "The CLI syntax of this spec.");
  py::implicitly_convertible<py::str, Trainable>();
}

void bind_step_options(py::module_& m) {
  Struct<OptimizerOptions>(m, "OptimizerOptions", "The optimizer and its hyper-parameters.")
      .field("kind", &OptimizerOptions::kind, "update rule (Optimizer)")
      .field("lr", &OptimizerOptions::lr, "base learning rate; 0: 1e-3 for adam/adamw, 0.01 for sgd")
      .field("momentum", &OptimizerOptions::momentum, "sgd momentum (0: none)")
      .field("nesterov", &OptimizerOptions::nesterov, "sgd: Nesterov momentum")
      .field("weight_decay", &OptimizerOptions::weight_decay, "L2 (sgd/adam) or decoupled decay (adamw)")
      .field("beta1", &OptimizerOptions::beta1, "adam/adamw beta1")
      .field("beta2", &OptimizerOptions::beta2, "adam/adamw beta2")
      .field("eps", &OptimizerOptions::eps, "adam/adamw epsilon")
      .done()
      .def("base_lr", &OptimizerOptions::base_lr, "lr, or the kind's default when lr is 0.");

  Struct<ScheduleOptions>(m, "ScheduleOptions", "The learning-rate schedule, in optimizer steps.")
      .field("kind", &ScheduleOptions::kind, "shape after warm-up (Schedule)")
      .field("warmup_steps", &ScheduleOptions::warmup_steps, "linear warm-up length (0: none)")
      .field("warmup_start_factor", &ScheduleOptions::warmup_start_factor, "lr at step 0 = base * this")
      .field("step_size", &ScheduleOptions::step_size, "step: decay every this many steps")
      .field("gamma", &ScheduleOptions::gamma, "step: decay factor")
      .field("total_steps", &ScheduleOptions::total_steps, "cosine: the step where min_lr is reached")
      .field("min_lr", &ScheduleOptions::min_lr, "cosine: floor")
      .done()
      .def_static("over_epochs", &ScheduleOptions::over_epochs, py::arg("kind"), py::arg("epochs"),
                  py::arg("steps_per_epoch"), py::arg("warmup_epochs") = 0.0, py::arg("step_epochs") = 0.0,
                  py::arg("gamma") = 0.1,
                  "A schedule over epochs of steps_per_epoch steps (warm-up and step period in epochs).");
}

void bind_plan_summary(py::module_& m) {
  Struct<MemoryBreakdown>(m, "MemoryBreakdown", "Planned memory of a compiled step, in bytes.", false)
      .field("weights", &MemoryBreakdown::weights, "parameters")
      .field("bn_state", &MemoryBreakdown::bn_state, "BatchNorm running statistics")
      .field("optimizer_state", &MemoryBreakdown::optimizer_state, "momentum / Adam moments")
      .field("arena", &MemoryBreakdown::arena, "the planned arena (peak of the step buffers after reuse)")
      .field("kernel_workspace", &MemoryBreakdown::kernel_workspace, "persistent per-thread kernel buffers")
      .field("io", &MemoryBreakdown::io, "requested before reuse: inputs and outputs")
      .field("activations", &MemoryBreakdown::activations, "requested before reuse: activations")
      .field("saved", &MemoryBreakdown::saved, "requested before reuse: saved for backward")
      .field("activation_grads", &MemoryBreakdown::activation_grads, "requested before reuse: activation gradients")
      .field("weight_grads", &MemoryBreakdown::weight_grads, "requested before reuse: weight gradients")
      .field("workspace", &MemoryBreakdown::workspace, "requested before reuse: kernel workspace")
      .field("total", &MemoryBreakdown::total, "weights + bn_state + optimizer_state + arena + kernel_workspace")
      .done();

  Struct<BufferInfo>(m, "BufferInfo", "One planned buffer: size, role and lifetime.", false)
      .field("label", &BufferInfo::label, "what it holds")
      .field("kind", &BufferInfo::kind, "io, activations, saved_aux, activation_grads, weight_grads, workspace")
      .field("bytes", &BufferInfo::bytes, "size")
      .field("offset", &BufferInfo::offset, "where the memory planner put it in the arena")
      .field("first_step", &BufferInfo::first_step, "first step it lives in")
      .field("last_step", &BufferInfo::last_step, "last step it lives in")
      .done();

  Struct<StepInfo>(m, "StepInfo", "One step of a compiled plan, in execution order.", false)
      .field("name", &StepInfo::name, "the node, or the parameter (accumulate, update)")
      .field("op", &StepInfo::op, "operator, or Accumulate / Update")
      .field("pass_", &StepInfo::pass, "fwd, bwd_data, bwd_weights, or -")
      .field("implementation", &StepInfo::implementation, "kernel family and algorithm")
      .field("problem", &StepInfo::problem, "shapes and attributes")
      .field("layouts", &StepInfo::layouts, "activation layouts in -> out")
      .field("dtype", &StepInfo::dtype, "element type of its output")
      .field("macs", &StepInfo::macs, "multiply-accumulates")
      .field("buffers", &StepInfo::buffers, "indices of the PlanSummary.buffers it reads or writes", false)
      .done();

  Struct<PlanSummary>(m, "PlanSummary", "A compiled step, described: what runs and what it plans.", false)
      .field("batch", &PlanSummary::batch, "samples per step")
      .field("training", &PlanSummary::training, "a training step (False: inference)")
      .field("steps", &PlanSummary::steps, "kernel, accumulation and update steps")
      .field("backward_steps", &PlanSummary::backward_steps, "of them, backward kernels")
      .field("trainable_tensors", &PlanSummary::trainable_tensors, "parameters that train")
      .field("forward_macs", &PlanSummary::forward_macs, "forward MACs of the whole batch")
      .field("step_macs", &PlanSummary::step_macs, "forward + backward MACs of the step")
      .field("memory", &PlanSummary::memory, "planned bytes (MemoryBreakdown)")
      .field("buffers", &PlanSummary::buffers, "every planned buffer (list of BufferInfo)", false)
      .field("step_list", &PlanSummary::step_list, "every step in execution order (list of StepInfo)", false)
      .done();
}

}  // namespace

void init_options(py::module_& m) {
  bind_enums(m);
  bind_trainable(m);
  bind_step_options(m);
  bind_plan_summary(m);
}

}  // namespace etpy
