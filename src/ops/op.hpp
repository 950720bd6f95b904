// What every op declares, independent of any kernel: shape inference, parameters, state, what the
// forward pass saves for backward, what each backward pass reads, and its cost.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/shape.hpp"
#include "ops/attrs.hpp"

namespace edgetrain {

enum class Pass { fwd, bwd_data, bwd_weights };
std::string_view pass_name(Pass p);

// Printable name of a Pointwise function ("LeakyReLU", "Sigmoid", "HardSigmoid", "HardSwish", "Scale");
// op_name() says "Pointwise" for all of them.
std::string_view pointwise_name(PointwiseFn fn);

enum class ParamInit { kaiming_uniform, fan_in_uniform, ones, zeros };

struct ParamSpec {
  std::string suffix;  // "weight", "bias"
  Shape shape;
  ParamInit init;
  int64_t fan_in;
  bool is_bias;  // for the bias-only trainable spec
};

struct StateSpec {
  std::string suffix;  // "running_mean", "running_var"
  Shape shape;
  float init;
};

// Extra tensors the training forward writes for backward (pooling indices, dropout mask, BN batch stats).
struct AuxSpec {
  std::string suffix;
  Shape shape;
  DType dtype;
};

// What a backward pass reads besides diff_dst and the op's parameters.
struct BackwardReads {
  bool src = false;  // forward inputs
  bool dst = false;  // forward output
  bool aux = false;  // tensors in aux_specs
};

// Shape of the output for the given inputs (with batch dimension); throws Error on a mismatch.
Shape infer_shape(const Attrs&, std::span<const Shape> src);
std::vector<ParamSpec> param_specs(const Attrs&);
std::vector<StateSpec> state_specs(const Attrs&);
std::vector<AuxSpec> aux_specs(const Attrs&, std::span<const Shape> src, const Shape& dst, bool training);
BackwardReads backward_reads(const Attrs&, Pass pass);
// In-place capabilities; the planner aliases buffers only where no one else needs the old bytes.
// Forward: dst may be written over any input (ReLU, ReLU6, Dropout, BatchNorm — which reads all of
// its input for the statistics before writing — Add, and the Pointwise functions whose backward does
// not read src: sigmoid, scale).
bool forward_in_place(const Attrs&);
// bwd_data: diff_src may be written over diff_dst (the elementwise ReLU, ReLU6, Dropout, Pointwise).
bool backward_in_place(const Attrs&);
// How an op's forward differs when training from inference (compile() sets KernelProblem::training):
//   same                 no difference
//   batch_statistics     normalises with the batch's statistics and updates running ones (BatchNorm;
//                        not with frozen statistics); needs more than one value per channel
//   saves_for_backward   only saves what its backward reads (MaxPool's argmax): not needed where no
//                        gradient flows back through it
//   stochastic           random while training (Dropout)
enum class TrainingBehaviour { same, batch_statistics, saves_for_backward, stochastic };
TrainingBehaviour training_behaviour(const Attrs&);
// A view: the output is the input's bytes read with another shape (Flatten). It runs no step, and a
// value it reads keeps the plain layout.
bool is_view(const Attrs&);
// An element-wise activation that the step producing its input can compute on its output (compile's
// fusion pass): that step writes act(output), and its backward passes mask the incoming gradient by
// the activation's derivative, read from the output.
enum class Activation : uint8_t { none, relu, relu6 };
// The activation this op is where a producer may compute it (ReLU, ReLU6), none otherwise.
Activation fusable_activation(const Attrs&);
// Whether this op's kernels may compute a fused activation on their output (Conv2d, BatchNorm).
bool takes_fused_activation(const Attrs&);
std::string_view activation_name(Activation a);  // "ReLU", "ReLU6", "" for none
// Ops whose bwd_data computes the weight gradients' reductions anyway (BatchNorm: sum(dy) and
// sum(dy * xhat)): when both passes are needed, one bwd_data step writes diff_src and diff_weights.
bool fuses_weight_grads(const Attrs&);
// Forward multiply-accumulates (0 for data movement ops).
int64_t forward_macs(const Attrs&, std::span<const Shape> src, const Shape& dst);
// Canonical problem string, e.g. "mb32_ic64oc64_ih56iw56_kh3kw3_sh1sw1_ph1pw1_g1".
std::string problem_string(const Attrs&, std::span<const Shape> src, const Shape& dst);

}  // namespace edgetrain
