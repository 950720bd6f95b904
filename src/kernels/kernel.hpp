// The kernel interface. A kernel gets tensor views, typed attributes and a scratch span — never the
// graph. Kernels are created once per step at compile time (descriptor) and executed many times.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/layout.hpp"
#include "core/param_layout.hpp"
#include "core/tensor_view.hpp"
#include "kernels/backend.hpp"
#include "ops/attrs.hpp"
#include "ops/op.hpp"

namespace edgetrain {

// Everything one execution touches. Slots not used by a (op, pass) stay empty. 2-D tensors are dense
// row-major; a 4-D activation and its gradient are in the layout the problem names, a parameter and its
// gradient in the problem's weight layout. Every kernel *overwrites* its outputs (dst, diff_src,
// diff_weights, aux written in fwd).
struct KernelArgs {
  std::vector<TensorView> src;           // forward inputs, in node order
  TensorView dst;                        // forward output
  std::vector<TensorView> weights;       // parameters in param_specs order (e.g. weight, bias)
  std::vector<TensorView> state;         // running statistics (BatchNorm), updated by a training fwd
  std::vector<TensorView> aux;           // saved by fwd for backward, in aux_specs order
  TensorView diff_dst;                   // gradient of the output
  std::vector<TensorView> diff_src;      // per input; an empty view means "not needed"
  std::vector<TensorView> diff_weights;  // per parameter; an empty view means "frozen"
  TensorView scratch;                    // u8 workspace of Kernel::scratch_bytes()
  const uint64_t* step_seed = nullptr;   // changes every training step (dropout masks)
};

// What the operation is (as oneDNN's operation descriptor): the op's attributes, the pass, the shapes,
// the element types and whether it runs in training mode. The reference kernels see only this.
// A value and its gradient have one element type: `dtype` is the output's (dst, diff_dst), src_dtype
// the inputs' (src[i], diff_src[i]). Parameters and their gradients are f32 (master weights); a bf16
// or fixed-point problem's kernel rounds the weights of its multiply-accumulates to that type (see
// converting_kernel.hpp).
// Backends are only asked for uniform problems (every input in `dtype`); the registry converts at the
// boundaries of the others.
struct OpDesc {
  Attrs attrs;
  Pass pass = Pass::fwd;
  std::vector<Shape> src;  // forward input shapes
  Shape dst;               // forward output shape
  DType dtype = DType::f32;
  std::vector<DType> src_dtype;  // per forward input; empty or missing: `dtype`
  bool training = true;          // BatchNorm batch statistics / Dropout active
  bool operator==(const OpDesc&) const = default;

  DType src_dtype_of(size_t i) const { return i < src_dtype.size() ? src_dtype[i] : dtype; }
  // The low-precision type of its operands (bf16, fixed point; f32 when none is below f32).
  DType low_precision_type() const {
    DType t = DType::f32;
    for (size_t i = 0; i <= src_dtype.size(); ++i) {
      const DType s = i < src_dtype.size() ? src_dtype[i] : dtype;
      if (is_fixed_point(s) || (s == DType::bf16 && t == DType::f32)) t = s;
    }
    return t;
  }
  bool uniform_dtype() const {
    for (DType t : src_dtype)
      if (is_real(t) && t != dtype) return false;
    return true;
  }
};

// How a kernel may run it (as oneDNN's primitive attributes): the memory layouts, an activation fused
// into the step, the algorithms allowed, and whether bwd_data also writes the weight gradients.
struct ExecutionSpec {
  // bwd_data also writes the present diff_weights (ops whose two backward passes share their
  // reductions, see fuses_weight_grads in ops/op.hpp); no bwd_weights step runs for the node.
  bool weight_grads_in_bwd_data = false;
  // With an activation: dst is act(op output), and the backward passes read dst to mask diff_dst.
  Activation fused_activation = Activation::none;
  // The kernel may use a Winograd algorithm where it is faster (fewer multiplies, more scratch, a
  // little more rounding error); false: direct algorithms only.
  bool winograd = true;
  // Layouts of the forward inputs and output (and of their gradients); empty src_layout: all plain.
  std::vector<Layout> src_layout;
  Layout dst_layout = Layout::plain;
  // Layouts of the parameters (and their gradients), in param_specs order; empty or missing: plain.
  std::vector<ParamLayout> weight_layouts;

  Layout src_layout_of(size_t i) const { return i < src_layout.size() ? src_layout[i] : Layout::plain; }
  ParamLayout weight_layout_of(size_t i) const { return i < weight_layouts.size() ? weight_layouts[i] : ParamLayout{}; }
  bool operator==(const ExecutionSpec&) const = default;
  bool all_plain() const {
    for (Layout l : src_layout)
      if (l != Layout::plain) return false;
    for (const ParamLayout& l : weight_layouts)
      if (!l.plain()) return false;
    return dst_layout == Layout::plain;
  }
};

// The problem a kernel is created for: the operation and how it may run it.
struct KernelProblem : OpDesc, ExecutionSpec {
  bool operator==(const KernelProblem&) const = default;

  // Whether an input or the output is blocked16 with padding lanes (core/layout.hpp): a kernel that
  // treats its tensors as flat arrays counts storage elements, one that walks channel blocks masks the
  // last one.
  bool has_padding_lanes() const {
    for (size_t i = 0; i < src.size(); ++i)
      if (padded(src[i], src_layout_of(i))) return true;
    return padded(dst, dst_layout);
  }
  int64_t dst_storage_numel() const { return storage_numel(dst, dst_layout); }
};

// How a kernel computes its problem: a typed fact for the latency predictor (its values are stable
// codes stored in device profiles — append only) and for memory decisions (Winograd is the one that
// does fewer multiplies than the step's MACs say, with more scratch).
enum class Algorithm : uint8_t {
  reference = 0,          // edgetrain's reference loops (the oracle every other kernel is tested against)
  direct = 1,             // a JIT direct kernel for the CPU's widest vector ISA
  direct_1x1 = 2,         // the same, specialised for 1x1 convolutions
  gemm = 3,               // lowered to a matrix multiply
  direct_narrow_isa = 4,  // a JIT direct kernel for an older, narrower ISA (AVX2, SSE4.1)
  naive = 5,              // a library's naive reference loops
  other = 6,              // anything else: edgetrain's own direct or blocked loops, simple copies
  winograd = 7,           // Winograd's minimal filtering
  native_gemm = 8,        // edgetrain's own cache-blocked GEMM (native im2col convolution, linear layers)
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void execute(const KernelArgs& args) const = 0;
  // The backend (table row) the kernel comes from; impl_name() is its name.
  virtual KernelBackend backend() const = 0;
  std::string_view impl_name() const { return backend_name(backend()); }
  virtual std::size_t scratch_bytes() const { return 0; }
  // Layout conversions one execution performs (reported by EDGETRAIN_VERBOSE=1).
  virtual int reorders() const { return 0; }
  virtual Algorithm algorithm() const { return Algorithm::reference; }
  bool runs_winograd() const { return algorithm() == Algorithm::winograd; }
  // Whether the kernel runs on the native GEMM, whose per-thread packing buffers live for the process
  // (persistent_workspace_bytes in registry.hpp): the memory plan counts them where any step does.
  virtual bool uses_persistent_workspace() const { return false; }
  // The layout this kernel would rather have parameter i in (plain: no preference, or none it can
  // describe densely); compile() adopts it for the next round (see Plan::param_layouts).
  virtual ParamLayout preferred_weight_layout(size_t /*i*/) const { return {}; }
  // The implementation inside the backend where it has several, in the backend's words (oneDNN:
  // "jit:avx512_core", "gemm:jit", "ref:any", ...; empty otherwise): for people reading logs.
  virtual std::string_view detail() const { return {}; }
};

}  // namespace edgetrain
