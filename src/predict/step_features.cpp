#include "predict/step_features.hpp"

#include <algorithm>
#include <cmath>

namespace edgetrain::predict {

namespace {

// Stable codes: the profile stores models trained on them, so new names are only ever appended.
int op_code(const std::string& op) {
  static const char* ops[] = {
      "Conv2d", "BatchNorm2d", "ReLU",    "ReLU6",   "MaxPool2d",           "AvgPool2d", "GlobalAvgPool", "Linear",
      "Add",    "Concat",      "Flatten", "Dropout", "SoftmaxCrossEntropy", "Pointwise", "Accumulate",    "Update",
      "Mul"};
  for (int i = 0; i < static_cast<int>(std::size(ops)); ++i)
    if (op == ops[i]) return i;
  return static_cast<int>(std::size(ops));
}

int pass_code(const Step& s) {
  if (s.kind == StepKind::accumulate) return 3;
  if (s.kind == StepKind::update) return 4;
  return static_cast<int>(s.pass);
}

}  // namespace

// The kernel's Algorithm, whose values are the stable codes (0 reference ... 7 Winograd, 8 native GEMM).
int impl_code(const Step& s) { return s.kernel ? static_cast<int>(s.kernel->algorithm()) : 0; }

namespace {

float log2f_safe(double v) { return static_cast<float>(std::log2(std::max(v, 1.0))); }

std::size_t ref_bytes(const TensorRef& t) {
  return t ? storage_bytes(static_cast<std::size_t>(t.shape.numel()), t.dtype) : 0;
}

// The activation on the input side and on the output side of the step, whatever the pass.
const TensorRef* first(const std::vector<TensorRef>& v) { return v.empty() || !v[0] ? nullptr : &v[0]; }

}  // namespace

const std::array<std::string, kNumStepFeatures>& feature_names() {
  static const std::array<std::string, kNumStepFeatures> names = {
      "op",           "pass",           "impl",           "log2_batch", "log2_c_in",  "log2_hw_in", "log2_c_out",
      "log2_hw_out",  "kernel_area",    "log2_groups",    "stride",     "log2_flops", "log2_bytes", "c_in_fill16",
      "c_out_fill16", "log2_intensity", "log2_numel_out", "inputs",     "reorders"};
  return names;
}

StepFeatures step_features(const Step& s) {
  const StepRefs& r = s.refs;
  const TensorRef* in = first(r.src);
  if (!in) in = first(r.diff_src);
  const TensorRef* out = r.dst ? &r.dst : (r.diff_dst ? &r.diff_dst : nullptr);
  const TensorRef* w = first(r.weights);
  if (!w) w = first(r.diff_weights);
  if (s.kind != StepKind::kernel) {  // accumulate / update: elementwise over one tensor
    in = first(r.src) ? first(r.src) : w;
    out = r.dst ? &r.dst : in;
  }

  std::size_t bytes = ref_bytes(r.dst) + ref_bytes(r.diff_dst) + ref_bytes(r.scratch);
  for (const auto* list : {&r.src, &r.weights, &r.state, &r.aux, &r.diff_src, &r.diff_weights})
    for (const TensorRef& t : *list) bytes += ref_bytes(t);

  auto dim = [](const TensorRef* t, int i) -> double {
    if (!t || i >= t->shape.rank()) return 1;
    return static_cast<double>(t->shape[i]);
  };
  auto spatial = [&](const TensorRef* t) { return t && t->shape.rank() >= 4 ? dim(t, 2) * dim(t, 3) : 1.0; };
  const double n = in ? dim(in, 0) : 1, c_in = dim(in, 1), c_out = dim(out, 1);
  const double hw_in = spatial(in), hw_out = spatial(out);
  double kernel_area = 1, groups = 1;
  if (w && w->shape.rank() == 4) {
    kernel_area = dim(w, 2) * dim(w, 3);
    groups = std::max(1.0, c_in / std::max(1.0, dim(w, 1)));
  }
  const double stride = (in && out && in->shape.rank() >= 4 && out->shape.rank() >= 4 && dim(out, 2) > 0)
                            ? std::round(dim(in, 2) / dim(out, 2))
                            : 1;
  const double flops = 2.0 * static_cast<double>(s.macs);
  const auto fill16 = [](double c) { return static_cast<float>(c / (16.0 * std::ceil(c / 16.0))); };

  StepFeatures f;
  f.x = {static_cast<float>(op_code(s.op)),
         static_cast<float>(pass_code(s)),
         static_cast<float>(impl_code(s)),
         log2f_safe(n),
         log2f_safe(c_in),
         log2f_safe(hw_in),
         log2f_safe(c_out),
         log2f_safe(hw_out),
         static_cast<float>(kernel_area),
         log2f_safe(groups),
         static_cast<float>(stride),
         log2f_safe(flops),
         log2f_safe(static_cast<double>(bytes)),
         fill16(c_in),
         fill16(c_out),
         static_cast<float>(std::log2(std::max(flops, 1.0) / std::max<double>(static_cast<double>(bytes), 1.0))),
         log2f_safe(out ? static_cast<double>(out->shape.numel()) : 1.0),
         static_cast<float>(r.src.size()),
         static_cast<float>(s.kind == StepKind::kernel && s.kernel ? s.kernel->reorders() : 0)};
  f.work = flops > 0 ? flops : std::max<double>(static_cast<double>(bytes), 1.0);
  return f;
}

}  // namespace edgetrain::predict
