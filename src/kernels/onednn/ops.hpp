// Per-op factories of the oneDNN backend (internal to src/kernels/onednn). Each builds its primitive
// descriptors and primitives now, or returns nullptr with a reason. The caller admits f32 and bf16
// problems; an op that takes only f32 declines bf16 itself.
#pragma once
#include <memory>
#include <string>

#include "kernels/onednn/program.hpp"
#include "ops/attrs.hpp"

namespace edgetrain::onednn {

// Base of every oneDNN kernel: a Program plus the Kernel boilerplate.
class ProgramKernel : public Kernel {
 public:
  KernelBackend backend() const override { return KernelBackend::onednn; }
  std::size_t scratch_bytes() const override { return prog_.scratch_bytes(); }
  int reorders() const override { return prog_.reorders(); }
  std::string_view detail() const override { return prog_.impl_info(); }
  Algorithm algorithm() const override { return prog_.algorithm(); }
  const Program& program() const { return prog_; }

 protected:
  Program prog_;
};

std::unique_ptr<ProgramKernel> make_conv2d(const Conv2dAttrs&, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_batch_norm(const BatchNormAttrs&, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_relu(bool relu6, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_pointwise(const PointwiseAttrs&, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_max_pool(const MaxPoolAttrs&, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_avg_pool(const AvgPoolAttrs&, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_global_avg_pool(const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_linear(const LinearAttrs&, const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_add(const KernelProblem&, std::string& why_not);
std::unique_ptr<ProgramKernel> make_concat(const KernelProblem&, std::string& why_not);

}  // namespace edgetrain::onednn
