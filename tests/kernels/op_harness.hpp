// Test harness: owns every tensor one op needs (inputs, parameters, state, aux, gradients), builds the
// kernels through the registry and runs the passes. Values are stored in the problem's element type.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/bf16.hpp"
#include "core/fixed_point.hpp"
#include "kernels/registry.hpp"
#include "ops/op.hpp"

namespace edgetrain::test {

struct Tensor {
  AlignedBuffer buffer;
  TensorView view;
  Tensor() = default;
  Tensor(Shape s, DType t) : buffer(storage_bytes(static_cast<std::size_t>(s.numel()), t)), view(buffer.data(), s, t) {}
  int64_t numel() const { return view.numel(); }
  double get(int64_t i) const {
    switch (view.dtype) {
      case DType::f32: return view.as<float>()[i];
      case DType::f64: return view.as<double>()[i];
      case DType::i32: return view.as<int32_t>()[i];
      case DType::u8: return view.as<uint8_t>()[i];
      case DType::bf16: return to_float(view.as<bf16>()[i]);
      case DType::fx8:
      case DType::fx12:
      case DType::fx14:
      case DType::fx16: {
        const auto n = static_cast<std::size_t>(numel());
        const double q = view.dtype == DType::fx8 ? static_cast<const int8_t*>(view.data)[i]
                                                  : static_cast<const int16_t*>(view.data)[i];
        return std::ldexp(q, -fixed_point_exponent(view.data, n, view.dtype));
      }
    }
    return 0;
  }
  // A fixed-point tensor holds one exponent for all its elements: it is written whole.
  void set_all(const std::vector<float>& v, uint64_t seed = 1) const {
    ET_ASSERT(static_cast<int64_t>(v.size()) == numel() && is_fixed_point(view.dtype));
    quantize(v.data(), v.size(), view.dtype, view.data, seed);
  }
  void set(int64_t i, double v) const {
    switch (view.dtype) {
      case DType::f32: view.as<float>()[i] = static_cast<float>(v); return;
      case DType::f64: view.as<double>()[i] = v; return;
      case DType::i32: view.as<int32_t>()[i] = static_cast<int32_t>(v); return;
      case DType::u8: view.as<uint8_t>()[i] = static_cast<uint8_t>(v); return;
      case DType::bf16: view.as<bf16>()[i] = to_bf16(static_cast<float>(v)); return;
      case DType::fx8:
      case DType::fx12:
      case DType::fx14:
      case DType::fx16: ADD_FAILURE() << "fixed point is written whole (set_all)"; return;
    }
  }
};

// How to fill the floating-point inputs (kink guards for piecewise-linear ops). pointwise_safe spans
// (-4, 4), past the saturation points of hard_sigmoid / hard_swish, and keeps 0.05 away from their
// kinks for the test parameters (0, +-2.5 for alpha 0.2 beta 0.5, +-3 for alpha 1/6 beta 0.5).
enum class Fill { uniform, relu_safe, relu6_safe, distinct, pointwise_safe };

class OpHarness {
 public:
  OpHarness(Attrs attrs, std::vector<Shape> src_shapes, DType dtype, bool training = true)
      : attrs_(std::move(attrs)), src_shapes_(std::move(src_shapes)), dtype_(dtype), training_(training) {
    dst_shape_ = infer_shape(attrs_, src_shapes_);
    for (size_t i = 0; i < src_shapes_.size(); ++i) {
      const bool labels = is<SoftmaxCrossEntropyAttrs>(attrs_) && i == 1;
      src.emplace_back(src_shapes_[i], labels ? DType::i32 : dtype_);
      diff_src.emplace_back(src_shapes_[i], labels ? DType::i32 : dtype_);
    }
    dst = Tensor(dst_shape_, dtype_);
    diff_dst = Tensor(dst_shape_, dtype_);
    // Parameters, state and aux keep the problem's float type so that f64 gradient checks stay exact;
    // a low-precision problem's are f32 (master weights, f32 statistics).
    const DType wide = is_low_precision(dtype_) ? DType::f32 : dtype_;
    for (const ParamSpec& p : param_specs(attrs_)) {
      weights.emplace_back(p.shape, wide);
      diff_weights.emplace_back(p.shape, wide);
    }
    for (const StateSpec& s : state_specs(attrs_)) state.emplace_back(s.shape, wide);
    for (const AuxSpec& a : aux_specs(attrs_, src_shapes_, dst_shape_, training_))
      aux.emplace_back(a.shape, a.dtype == DType::f32 ? wide : a.dtype);
  }

  void fill(uint32_t seed, Fill how = Fill::uniform) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (size_t i = 0; i < src.size(); ++i) {
      Tensor& t = src[i];
      if (t.view.dtype == DType::i32) {
        const int64_t classes = src_shapes_[0][1];
        for (int64_t j = 0; j < t.numel(); ++j) t.set(j, static_cast<double>(rng() % classes));
        continue;
      }
      if (how == Fill::distinct) {  // a shuffled ramp: no ties closer than 1e-2
        std::vector<int64_t> order(static_cast<size_t>(t.numel()));
        for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int64_t>(j);
        std::shuffle(order.begin(), order.end(), rng);
        for (int64_t j = 0; j < t.numel(); ++j) t.set(j, -2.0 + 0.01 * static_cast<double>(order[j]) + 0.001 * u(rng));
        continue;
      }
      for (int64_t j = 0; j < t.numel(); ++j) {
        double v = u(rng);
        if (how == Fill::relu_safe) v = (v < 0 ? -0.05 : 0.05) + v;
        if (how == Fill::relu6_safe) {
          v = 3.0 + 5.0 * v;  // (-2, 8)
          if (std::abs(v) < 0.05) v += 0.1;
          if (std::abs(v - 6.0) < 0.05) v += 0.1;
        }
        if (how == Fill::pointwise_safe) {
          v *= 4.0;
          for (double kink : {-3.0, -2.5, 0.0, 2.5, 3.0})
            if (std::abs(v - kink) < 0.05) v = kink + (v < kink ? -0.05 : 0.05);
        }
        t.set(j, v);
      }
    }
    const bool bn = is<BatchNormAttrs>(attrs_);
    for (size_t i = 0; i < weights.size(); ++i)
      for (int64_t j = 0; j < weights[i].numel(); ++j) weights[i].set(j, bn && i == 0 ? 1.0 + 0.5 * u(rng) : u(rng));
    if (state.size() == 2)
      for (int64_t j = 0; j < state[0].numel(); ++j) {
        state[0].set(j, 0.3 * u(rng));
        state[1].set(j, 1.0 + 0.5 * u(rng));
      }
  }

  KernelProblem problem(Pass pass) const {
    KernelProblem p;
    p.attrs = attrs_;
    p.pass = pass;
    p.src = src_shapes_;
    p.dst = dst_shape_;
    p.dtype = dtype_;
    p.training = training_;
    return p;
  }

  KernelArgs args() const {
    KernelArgs a;
    for (const Tensor& t : src) a.src.push_back(t.view);
    a.dst = dst.view;
    for (const Tensor& t : weights) a.weights.push_back(t.view);
    for (const Tensor& t : state) a.state.push_back(t.view);
    for (const Tensor& t : aux) a.aux.push_back(t.view);
    a.diff_dst = diff_dst.view;
    for (size_t i = 0; i < diff_src.size(); ++i)
      a.diff_src.push_back(src[i].view.dtype == DType::i32 || !want_diff_src ? TensorView{} : diff_src[i].view);
    for (size_t i = 0; i < diff_weights.size(); ++i)
      a.diff_weights.push_back(frozen.size() > i && frozen[i] ? TensorView{} : diff_weights[i].view);
    a.step_seed = &step_seed;
    return a;
  }

  void run(Pass pass) {
    std::unique_ptr<Kernel> kernel =
        select_kernel(problem(pass), KernelBackend::reference);  // the reference under test
    AlignedBuffer scratch(kernel->scratch_bytes());
    KernelArgs a = args();
    a.scratch = TensorView(scratch.data(), Shape{static_cast<int64_t>(scratch.size())}, DType::u8);
    kernel->execute(a);
  }
  void fwd() { run(Pass::fwd); }
  void bwd_data() { run(Pass::bwd_data); }
  void bwd_weights() { run(Pass::bwd_weights); }

  bool has_params() const { return !weights.empty(); }
  const Attrs& attrs() const { return attrs_; }

  std::vector<Tensor> src, weights, state, aux, diff_src, diff_weights;
  Tensor dst, diff_dst;
  std::vector<bool> frozen;  // per parameter: pass an empty diff_weights view
  bool want_diff_src = true;
  uint64_t step_seed = 0x5eed;

 private:
  Attrs attrs_;
  std::vector<Shape> src_shapes_;
  Shape dst_shape_;
  DType dtype_;
  bool training_;
};

// Square-kernel Conv2d attributes for test tables.
inline Conv2dAttrs conv(int64_t ic, int64_t oc, int k, int stride, int pad, int dil, int groups, bool bias) {
  Conv2dAttrs a;
  a.in_channels = ic, a.out_channels = oc;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = stride;
  a.pad_h = a.pad_w = pad;
  a.dilation_h = a.dilation_w = dil;
  a.groups = groups;
  a.bias = bias;
  return a;
}

}  // namespace edgetrain::test
