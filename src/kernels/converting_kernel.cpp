#include "kernels/converting_kernel.hpp"

#include <fmt/format.h>

#include "core/bf16.hpp"
#include "core/check.hpp"

namespace edgetrain {
namespace {

std::size_t align64(std::size_t b) { return (b + 63) / 64 * 64; }

void convert_elements(const void* from, DType from_t, void* to, DType to_t, std::size_t n) {
  if (from_t == DType::f32 && to_t == DType::bf16)
    convert(static_cast<const float*>(from), static_cast<bf16*>(to), n);
  else if (from_t == DType::bf16 && to_t == DType::f32)
    convert(static_cast<const bf16*>(from), static_cast<float*>(to), n);
  else
    ET_ASSERT(!"conversions are between f32 and bf16");
}

// The multiply-accumulate ops, whose weights a bf16 problem rounds.
bool rounds_weights(const Attrs& a) { return is<Conv2dAttrs>(a) || is<LinearAttrs>(a); }

}  // namespace

ConvertingKernel::ConvertingKernel(const KernelProblem& outer, DType inner_dtype, std::unique_ptr<Kernel> inner)
    : inner_(std::move(inner)), inner_dtype_(inner_dtype) {
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
  const auto differs = [&](DType t) { return is_floating(t) && t != inner_dtype_; };
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

// In f32, a bf16 problem's multiply-accumulate reads its f32 inputs rounded to bf16: the weights, and
// the f32 side of a mixed problem (the input of a first layer, the logits gradient of a classifier).
void ConvertingKernel::plan_rounding(const KernelProblem& p) {
  if (inner_dtype_ != DType::f32 || !p.has_operand(DType::bf16) || !rounds_weights(p.attrs)) return;
  const bool fwd = p.pass == Pass::fwd;
  if (p.pass != Pass::bwd_weights) book(Role::weights, 0, param_specs(p.attrs).at(0).shape, true, false, true);
  if ((fwd || p.pass == Pass::bwd_weights) && p.src_dtype_of(0) == DType::f32)
    book(Role::src, 0, p.src[0], true, false, true);
  if (!fwd && p.dtype == DType::f32) book(Role::diff_dst, 0, p.dst, true, false, true);
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
    }
    return k.dst;
  };
  for (const Conversion& c : conversions_list_) {
    TensorView& v = view(c, a);
    if (!v) continue;  // not present in this execution (an input nobody differentiates)
    void* copy = scratch + c.offset;
    const auto n = static_cast<std::size_t>(v.numel());
    if (c.round) {
      round_to_bf16(v.as<float>(), static_cast<float*>(copy), n);
    } else if (c.in) {
      convert_elements(v.data, v.dtype, copy, inner_dtype_, n);
      v.dtype = inner_dtype_;
    } else {
      v.dtype = inner_dtype_;
    }
    v.data = copy;
  }
  inner_->execute(a);
  for (const Conversion& c : conversions_list_) {
    if (!c.out) continue;
    const TensorView& outer = view(c, args);
    if (outer)
      convert_elements(scratch + c.offset, inner_dtype_, outer.data, outer.dtype, static_cast<size_t>(outer.numel()));
  }
}

}  // namespace edgetrain
