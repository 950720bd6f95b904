// Typed options shared by the sessions, the predictor and the model rewrites.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgetrain/export.hpp"

namespace edgetrain {

// Which kernels run: the first of oneDNN, edgetrain's native loops and the reference that takes each
// step (automatic; onednn is the same), the native loops first (then the reference), or the plain
// reference loops only (the numerical truth, slow).
enum class Backend { automatic, onednn, reference, native };  // native last: the values are ABI

// The element type activations and their gradients are stored and computed in. Weights, their
// gradients, optimizer state, BatchNorm statistics, the logits and the loss stay f32 in every precision.
//   f32   single precision throughout.
//   bf16  bfloat16 activations and activation gradients: convolutions and linear layers multiply bf16
//         inputs by bf16-rounded weights, summing in f32 (the CPU's AVX512_BF16 instructions where it has
//         them). About half the activation memory; 2-3 significant digits per value.
//   fx8, fx12, fx14, fx16
//         dynamic fixed point of that word length (MuPPET): integers with one power-of-two scale per
//         tensor, chosen from its range, converted with stochastic rounding; convolution and linear
//         weights are quantised from the f32 master copy and their gradients quantised too. A quarter
//         (fx8) or half the activation memory. The arithmetic is emulated in f32 on the quantised
//         values (exact products, f32 sums): no integer kernels yet, so slower than f32.
//   muppet
//         MuPPET's schedule: fx8, then fx12, fx14, fx16 and f32, moving on when the gradient
//         diversity of the epoch-end gradients says the current precision stalls (fit() decides at
//         epoch ends; TrainingSession::precision_policy() reports the decisions).
enum class Precision { f32, bf16, fx8, fx12, fx14, fx16, muppet };

// How planned buffers share memory: greedy by size (reuse, the default) or none (every buffer its own
// bytes; a reference: trains bit for bit alike).
enum class Planner { greedy_by_size, no_reuse };

// Engine switches: the fastest settings by default; each off-switch exists to compare against it.
struct EngineOptions {
  Backend backend = Backend::automatic;       // kernel family to try first
  Planner planner = Planner::greedy_by_size;  // memory reuse between planned buffers
  bool blocked_layouts = true;                // keep activations in oneDNN's blocked nChw16c layout between steps
  bool blocked_params = true;            // keep convolution weights in their kernel's blocked layout while training
  bool fuse_activations = true;          // compute a ReLU/ReLU6 inside the step that produces its input
  bool winograd = true;                  // Winograd 3x3 convolutions where faster (dropped if a memory budget needs it)
  Precision precision = Precision::f32;  // element type of activations and their gradients
};

// MuPPET's switching parameters (with Precision::muppet).
struct PrecisionScheduleOptions {
  int resolution = 3;            // epochs pooled into one diversity estimate (MuPPET: 3; at least 2)
  int violations_to_switch = 2;  // violations that move to the next precision (MuPPET: 2)
};

// Which parameters train.
struct EDGETRAIN_API Trainable {
  enum class Mode { all, classifier, last_k, bias, names };
  Mode mode = Mode::all;              // what is selected
  int k = 1;                          // last_k: the last k Conv2d/Linear layers with their BatchNorms
  std::vector<std::string> patterns;  // names: parameter names or globs ("layer4.*")

  static Trainable all();                                     // every parameter
  static Trainable classifier();                              // the layer that makes the logits
  static Trainable last(int k);                               // the last k layers
  static Trainable bias();                                    // biases only
  static Trainable names(std::vector<std::string> patterns);  // parameters matching any glob
  // The CLI syntax: "all", "classifier", "last:K", "bias", "names:GLOB,GLOB". Throws Error otherwise.
  static Trainable parse(const std::string& text);
  std::string str() const;  // the CLI syntax of this spec
};

// The update rule.
enum class Optimizer { sgd, adam, adamw };

// The optimizer and its hyper-parameters.
struct EDGETRAIN_API OptimizerOptions {
  Optimizer kind = Optimizer::adam;               // update rule
  double lr = 0;                                  // base learning rate; 0: 1e-3 for adam/adamw, 0.01 for sgd
  double momentum = 0.9;                          // sgd; 0 turns the momentum buffer off
  bool nesterov = false;                          // sgd, needs momentum > 0
  double weight_decay = 0;                        // sgd/adam: L2 in the gradient; adamw: decoupled decay
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam/adamw
  double base_lr() const;                         // lr, or the kind's default when lr is exactly 0
};

// Learning-rate schedule shapes (after an optional linear warm-up).
enum class Schedule { constant, step, cosine };

// The learning-rate schedule, in optimizer steps (ScheduleOptions::over_epochs converts epochs).
struct EDGETRAIN_API ScheduleOptions {
  Schedule kind = Schedule::constant;  // shape after warm-up
  int64_t warmup_steps = 0;            // linear warm-up length (0: none)
  double warmup_start_factor = 0.1;    // lr at step 0 = base * this
  int64_t step_size = 0;               // step: decay every this many steps
  double gamma = 0.1;                  // step: decay factor
  int64_t total_steps = 0;             // cosine: the step where min_lr is reached
  double min_lr = 0;                   // cosine: floor

  // A schedule over `epochs` of `steps_per_epoch` steps: warm-up and step period in epochs (a step
  // period of 0 decays three times over the run), cosine reaching its floor at the last step.
  static ScheduleOptions over_epochs(Schedule kind, int epochs, int64_t steps_per_epoch, double warmup_epochs = 0,
                                     double step_epochs = 0, double gamma = 0.1);
};

// Planned memory of a compiled step, in bytes, known before it runs.
struct MemoryBreakdown {
  std::size_t weights = 0;           // parameters
  std::size_t bn_state = 0;          // BatchNorm running statistics
  std::size_t optimizer_state = 0;   // momentum / Adam moments of the trainable parameters
  std::size_t arena = 0;             // the planned arena: the peak of all step buffers below, after reuse
  std::size_t kernel_workspace = 0;  // persistent per-thread kernel buffers
  // Requested before reuse, by role (their peak together is `arena`):
  std::size_t io = 0, activations = 0, saved = 0, activation_grads = 0, weight_grads = 0, workspace = 0;
  std::size_t total = 0;  // weights + bn_state + optimizer_state + arena + kernel_workspace
};

// One planned buffer (for reports): its size, role and the steps it lives over.
struct BufferInfo {
  std::string label;                  // what it holds, e.g. "layer1.0.conv1 activations"
  std::string kind;                   // io, activations, saved_aux, activation_grads, weight_grads, workspace
  std::size_t bytes = 0;              // size
  std::size_t offset = 0;             // where the memory planner put it in the arena
  int first_step = 0, last_step = 0;  // lifetime over the step's linear order (StepInfo indices)
};

// One step of a compiled plan, in execution order.
struct StepInfo {
  std::string name;            // the node (kernel steps), or the parameter (accumulate, update)
  std::string op;              // operator ("Conv2d"), or "Accumulate" / "Update"
  std::string pass;            // "fwd", "bwd_data", "bwd_weights", or "-"
  std::string implementation;  // kernel family and, where it says, its algorithm ("onednn jit:avx512_core")
  std::string problem;         // shapes and attributes
  std::string layouts;         // activation layouts in -> out, e.g. "blocked16 -> plain" (empty: none)
  std::string dtype;           // element type of its output, e.g. "f32"
  int64_t macs = 0;            // multiply-accumulates
  std::vector<int> buffers;    // the PlanSummary::buffers it reads or writes
};

// A compiled step, described: what runs and what it plans.
struct PlanSummary {
  int64_t batch = 0;                // samples per step
  bool training = true;             // a training step (false: inference)
  int64_t steps = 0;                // kernel, accumulation and update steps
  int64_t backward_steps = 0;       // of them, backward kernels
  int64_t trainable_tensors = 0;    // parameters that train
  int64_t forward_macs = 0;         // forward multiply-accumulates of the whole batch
  int64_t step_macs = 0;            // forward + backward MACs of the step
  MemoryBreakdown memory;           // planned bytes
  std::vector<BufferInfo> buffers;  // every planned buffer
  std::vector<StepInfo> step_list;  // every step, in execution order (steps of them)
};

// Parses "512M", "2G", "1.5GiB", "65536" into bytes. Throws Error otherwise.
EDGETRAIN_API std::size_t parse_bytes(const std::string& text);
// "1.5 MiB"-style text of a byte count.
EDGETRAIN_API std::string format_bytes(std::size_t bytes);

// The closed choices by name, as the CLI and checkpoints spell them; parse_* throws Error naming the
// accepted names for anything else.
EDGETRAIN_API std::string to_string(Backend backend);      // "auto" | "onednn" | "native" | "ref"
EDGETRAIN_API std::string to_string(Optimizer optimizer);  // "sgd" | "adam" | "adamw"
EDGETRAIN_API std::string to_string(Schedule schedule);    // "constant" | "step" | "cosine"
EDGETRAIN_API std::string to_string(Precision precision);  // "f32" | "bf16" | "fx8" ... "fx16" | "muppet"
EDGETRAIN_API Backend parse_backend(const std::string& name);
EDGETRAIN_API Optimizer parse_optimizer(const std::string& name);
EDGETRAIN_API Schedule parse_schedule(const std::string& name);
EDGETRAIN_API Precision parse_precision(const std::string& name);

}  // namespace edgetrain
