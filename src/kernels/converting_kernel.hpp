// A kernel for a problem whose operands are in other element types than a backend takes: it converts
// them, through scratch, around a kernel for the same problem in one type (`inner`). The registry
// builds one
//   - for a problem with mixed types (a bf16 network's first convolution reads the f32 input; its
//     classifier writes f32 logits): the inner problem is all bf16, or all f32;
//   - for a bf16 problem no backend takes: the inner problem is f32. A convolution's or linear layer's
//     f32 inputs (its weights, and the f32 side of a mixed problem) are then rounded to bf16 first, so
//     that the result is the bf16 problem's (bf16 inputs and weights, products summed in f32, the
//     output rounded once). Run on the reference backend this is the reference every bf16 kernel is
//     tested against.
//   - for a fixed-point problem (no backend takes one yet): the inner problem is f32, on the values
//     the fixed-point operands hold (dequantised exactly). Weights and f32 inputs are rounded to the
//     problem's word length as above, outputs quantised (stochastic rounding seeded by the step),
//     and the weight gradients of a convolution or linear layer rounded in place, as MuPPET does.
//     This emulates fixed-point arithmetic in f32: the products are exact, the sums f32 rather than
//     int32 (a difference only past 2^24).
// Conversions are element-wise, so layouts pass through. Parameters, state, saved extras and weight
// gradients are passed as they are (f32), apart from the rounded weights. Every input is converted before the inner
// kernel writes, so in-place steps stay correct.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/kernel.hpp"

namespace edgetrain {

class ConvertingKernel final : public Kernel {
 public:
  // `outer`: the problem as posed; `inner`: a kernel for it with every floating operand in `inner_dtype`.
  ConvertingKernel(const KernelProblem& outer, DType inner_dtype, std::unique_ptr<Kernel> inner);

  void execute(const KernelArgs& args) const override;
  KernelBackend backend() const override { return inner_->backend(); }
  std::size_t scratch_bytes() const override { return scratch_bytes_; }
  int reorders() const override { return inner_->reorders() + static_cast<int>(conversions_list_.size()); }
  Algorithm algorithm() const override { return inner_->algorithm(); }
  bool uses_persistent_workspace() const override { return inner_->uses_persistent_workspace(); }
  std::string_view detail() const override { return detail_; }

 private:
  // One view converted through scratch: which slot, and where its converted copy lives.
  enum class Role : uint8_t { src, dst, diff_dst, diff_src, weights, diff_weights };
  struct Conversion {
    Role role;
    std::size_t index;   // within src / diff_src / weights
    bool in, out;        // convert before the inner kernel (inputs), after it (outputs)
    bool round;          // f32 rounded to the low-precision type's values, kept f32: an input into
                         // scratch, or an output (weight gradients) in place
    std::size_t offset;  // in scratch
  };
  void plan_conversions(const KernelProblem& outer);
  void plan_rounding(const KernelProblem& outer);
  void book(Role role, std::size_t index, const Shape& shape, bool in, bool out, bool round = false);

  std::unique_ptr<Kernel> inner_;
  DType inner_dtype_;
  DType low_dtype_;  // the problem's low-precision type (the one its rounding follows)
  // The inner kernel's arguments, rebuilt from the outer ones each execution: assigning views of the
  // same structure reuses their storage, so executions allocate nothing after the first.
  mutable std::mutex args_mutex_;
  mutable KernelArgs inner_args_;
  std::vector<Conversion> conversions_list_;
  std::size_t scratch_bytes_ = 0;
  std::string detail_;
};

}  // namespace edgetrain
