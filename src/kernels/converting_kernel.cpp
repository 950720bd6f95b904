#include "kernels/converting_kernel.hpp"

#include <fmt/format.h>

#include "core/bf16.hpp"
#include "core/check.hpp"
#include "core/fixed_point.hpp"

namespace edgetrain {
namespace {

std::size_t align64(std::size_t b) { return (b + 63) / 64 * 64; }

// n elements from one type to the other: f32 to and from bf16 or fixed point (rounding stochastically
// with `seed` into fixed point).
void convert_elements(const void* from, DType from_t, void* to, DType to_t, std::size_t n, uint64_t seed) {
  if (from_t == DType::f32 && to_t == DType::bf16)
    convert(static_cast<const float*>(from), static_cast<bf16*>(to), n);
  else if (from_t == DType::bf16 && to_t == DType::f32)
    convert(static_cast<const bf16*>(from), static_cast<float*>(to), n);
  else if (from_t == DType::f32 && is_fixed_point(to_t))
    quantize(static_cast<const float*>(from), n, to_t, to, seed);
  else if (is_fixed_point(from_t) && to_t == DType::f32)
    dequantize(from, n, from_t, static_cast<float*>(to));
  else
    ET_ASSERT(!"conversions are between f32 and bf16 or fixed point");
}

// f32 values rounded to the values type t holds, kept f32.
void round_elements(const float* from, DType t, float* to, std::size_t n, uint64_t seed) {
  if (t == DType::bf16) return round_to_bf16(from, to, n);
  round_to_fixed_point(from, n, word_length(t), to, seed);
}

// The multiply-accumulate ops, whose weights a bf16 problem rounds.
bool rounds_weights(const Attrs& a) { return is<Conv2dAttrs>(a) || is<LinearAttrs>(a); }

}  // namespace

ConvertingKernel::ConvertingKernel(const KernelProblem& outer, DType inner_dtype, std::unique_ptr<Kernel> inner)
    : inner_(std::move(inner)), inner_dtype_(inner_dtype), low_dtype_(outer.low_precision_type()) {
  scratch_bytes_ = align64(inner_->scratch_bytes());  // the inner kernel's scratch first
  plan_conversions(outer);
  detail_ = fmt::format("{}{}converted to {}", inner_->detail(), inner_->detail().empty() ? "" : "; ",
                        dtype_info(inner_dtype).name);
}

void ConvertingKernel::book(Role role, std::size_t index, const Shape& shape, bool in, bool out, bool round) {
  conversions_list_.push_back({role, index, in, out, round, scratch_bytes_});
  const DType t = round ? DType::f32 : inner_dtype_;
  scratch_bytes_ += align64(static_cast<std::size_t>(shape.numel()) * dtype_size(t));
}

void ConvertingKernel::plan_conversions(const KernelProblem& p) {
  const auto differs = [&](DType t) { return is_real(t) && t != inner_dtype_; };
  const bool fwd = p.pass == Pass::fwd;
  const BackwardReads reads = fwd ? BackwardReads{.src = true} : backward_reads(p.attrs, p.pass);
  const bool reads_dst = !fwd && (reads.dst || p.fused_activation != Activation::none);
  for (std::size_t i = 0; i < p.src.size(); ++i) {
    if (!differs(p.src_dtype_of(i))) continue;
    if (reads.src) book(Role::src, i, p.src[i], true, false);
    if (p.pass == Pass::bwd_data) book(Role::diff_src, i, p.src[i], false, true);
  }
  if (differs(p.dtype)) {
    if (fwd) book(Role::dst, 0, p.dst, false, true);
    if (reads_dst) book(Role::dst, 0, p.dst, true, false);
    if (!fwd) book(Role::diff_dst, 0, p.dst, true, false);
  }
  plan_rounding(p);
}

// In f32, a low-precision problem's multiply-accumulate reads its f32 inputs rounded to its type: the
// weights, and the f32 side of a mixed problem (the input of a first layer, the logits gradient of a
// classifier). A fixed-point problem's weight gradients are rounded too (MuPPET quantises them).
void ConvertingKernel::plan_rounding(const KernelProblem& p) {
  if (inner_dtype_ != DType::f32 || low_dtype_ == DType::f32 || !rounds_weights(p.attrs)) return;
  const bool fwd = p.pass == Pass::fwd;
  if (p.pass != Pass::bwd_weights) book(Role::weights, 0, param_specs(p.attrs).at(0).shape, true, false, true);
  if ((fwd || p.pass == Pass::bwd_weights) && p.src_dtype_of(0) == DType::f32)
    book(Role::src, 0, p.src[0], true, false, true);
  if (!fwd && p.dtype == DType::f32) book(Role::diff_dst, 0, p.dst, true, false, true);
  const bool writes_weight_grads =
      p.pass == Pass::bwd_weights || (p.pass == Pass::bwd_data && p.weight_grads_in_bwd_data);
  if (is_fixed_point(low_dtype_) && writes_weight_grads)
    for (std::size_t i = 0; i < param_specs(p.attrs).size(); ++i)
      conversions_list_.push_back({Role::diff_weights, i, false, true, true, 0});
}

void ConvertingKernel::execute(const KernelArgs& args) const {
  const std::lock_guard lock(args_mutex_);
  KernelArgs& a = inner_args_;
  a = args;
  auto* scratch = static_cast<std::byte*>(args.scratch.data);
  a.scratch = TensorView(scratch, Shape{static_cast<int64_t>(inner_->scratch_bytes())}, DType::u8);
  const auto view = [](const Conversion& c, auto& k) -> decltype((k.dst)) {
    switch (c.role) {
      case Role::src: return k.src[c.index];
      case Role::dst: return k.dst;
      case Role::diff_dst: return k.diff_dst;
      case Role::diff_src: return k.diff_src[c.index];
      case Role::weights: return k.weights[c.index];
      case Role::diff_weights: return k.diff_weights[c.index];
    }
    return k.dst;
  };
  // Each operand rounds with its own stream of the step's seed, by role: a node's passes share their
  // step seed, so its forward and backward passes round the weights alike.
  const uint64_t step_seed = args.step_seed ? *args.step_seed : 0;
  const auto seed = [&](std::size_t i) {
    const Conversion& c = conversions_list_[i];
    return step_seed + 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(c.role) * 64 + c.index + 1);
  };
  for (std::size_t i = 0; i < conversions_list_.size(); ++i) {
    const Conversion& c = conversions_list_[i];
    if (!c.in) continue;
    TensorView& v = view(c, a);
    if (!v) continue;  // not present in this execution (an input nobody differentiates)
    void* copy = scratch + c.offset;
    const auto n = static_cast<std::size_t>(v.numel());
    if (c.round)
      round_elements(v.as<float>(), low_dtype_, static_cast<float*>(copy), n, seed(i));
    else
      convert_elements(v.data, v.dtype, copy, inner_dtype_, n, seed(i));
    v.dtype = c.round ? DType::f32 : inner_dtype_;
    v.data = copy;
  }
  for (const Conversion& c : conversions_list_) {  // outputs written to scratch
    TensorView& v = view(c, a);
    if (c.out && !c.round && v) {
      v.dtype = inner_dtype_;
      v.data = scratch + c.offset;
    }
  }
  inner_->execute(a);
  for (std::size_t i = 0; i < conversions_list_.size(); ++i) {
    const Conversion& c = conversions_list_[i];
    if (!c.out) continue;
    const TensorView& outer = view(c, args);
    if (!outer) continue;
    const auto n = static_cast<std::size_t>(outer.numel());
    if (c.round)  // in place (weight gradients)
      round_elements(outer.as<float>(), low_dtype_, outer.as<float>(), n, seed(i));
    else
      convert_elements(scratch + c.offset, inner_dtype_, outer.data, outer.dtype, n, seed(i));
  }
}

}  // namespace edgetrain
