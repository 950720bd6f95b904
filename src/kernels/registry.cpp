#include "kernels/registry.hpp"

#include "kernels/ref/gemm.hpp"

#include <cstdio>

#include "core/check.hpp"
#include "core/log.hpp"
#include "kernels/onednn/onednn_kernels.hpp"
#include "kernels/ref/ref_kernels.hpp"

namespace edgetrain {
namespace {

template <class A>
constexpr bool has_bwd_weights =
    requires(const A& a, const KernelProblem& p, const KernelArgs& args) { ref::bwd_weights(a, p, args); };

// A reference kernel for op attributes A: stores the problem, calls ref::fwd / bwd_data / bwd_weights.
template <class A>
class RefKernel final : public Kernel {
 public:
  explicit RefKernel(KernelProblem problem)
      : problem_(std::move(problem)), attrs_(std::get<A>(problem_.attrs)),
        scratch_(ref::scratch_bytes(attrs_, problem_)) {}

  void execute(const KernelArgs& args) const override {
    switch (problem_.pass) {
      case Pass::fwd: ref::fwd(attrs_, problem_, args); return;
      case Pass::bwd_data: ref::bwd_data(attrs_, problem_, args); return;
      case Pass::bwd_weights:
        if constexpr (has_bwd_weights<A>) ref::bwd_weights(attrs_, problem_, args);
        return;
    }
  }
  std::string_view impl_name() const override { return "ref"; }
  std::size_t scratch_bytes() const override { return scratch_; }

 private:
  KernelProblem problem_;
  A attrs_;
  std::size_t scratch_;
};

}  // namespace

std::unique_ptr<Kernel> make_ref_kernel(const KernelProblem& problem, std::string& why_not) {
  if (problem.dtype != DType::f32 && problem.dtype != DType::f64) {
    why_not = fmt::format("element type {} is not f32/f64", dtype_info(problem.dtype).name);
    return nullptr;
  }
  if (!problem.all_plain()) {
    why_not = "the reference kernels run on the plain (NCHW) layout only";
    return nullptr;
  }
  if (problem.fused_activation != Activation::none) {
    why_not = "the reference kernels fuse no activation";
    return nullptr;
  }
  return std::visit(
      [&]<class A>(const A&) -> std::unique_ptr<Kernel> {
        if constexpr (!has_bwd_weights<A>) {
          if (problem.pass == Pass::bwd_weights) {
            why_not = "op has no parameters";
            return nullptr;
          }
        }
        return std::make_unique<RefKernel<A>>(problem);
      },
      problem.attrs);
}

std::span<const KernelImpl> kernel_impls() {
  // Fastest first. A new backend goes in front of "ref" and declines what it cannot run.
  static constexpr KernelImpl table[] = {
      {"onednn", &make_onednn_kernel},
      {"ref", &make_ref_kernel},
  };
  return table;
}

void validate_backend(std::string_view backend) {
  if (backend == "auto") return;
  std::string names = "auto";
  for (const KernelImpl& impl : kernel_impls()) {
    if (impl.name == backend) return;
    names += fmt::format(", {}", impl.name);
  }
  fail("unknown backend '{}': use one of {}", backend, names);
}

std::unique_ptr<Kernel> select_kernel(const KernelProblem& problem, std::string_view backend) {
  std::string reasons;
  if (std::unique_ptr<Kernel> k = try_select_kernel(problem, backend, reasons)) return k;
  fail("no kernel implements {} {} for element type {}:{} use f32 or f64", op_name(problem.attrs),
       pass_name(problem.pass), dtype_info(problem.dtype).name, reasons);
}

std::unique_ptr<Kernel> try_select_kernel(const KernelProblem& problem, std::string_view backend,
                                          std::string& reasons) {
  validate_backend(backend);
  const bool verbose = verbose_level() >= 2;
  const std::string_view op = op_name(problem.attrs), pass = pass_name(problem.pass);
  bool reached = backend == "auto";
  for (const KernelImpl& impl : kernel_impls()) {
    reached = reached || impl.name == backend;
    if (!reached) continue;
    std::string why_not;
    std::unique_ptr<Kernel> kernel = impl.make(problem, why_not);
    if (verbose)
      std::fprintf(stderr, "select,%.*s,%.*s,%.*s,%s%s\n", static_cast<int>(op.size()), op.data(),
                   static_cast<int>(pass.size()), pass.data(), static_cast<int>(impl.name.size()), impl.name.data(),
                   kernel ? "accepted" : "declined: ", kernel ? "" : why_not.c_str());
    if (kernel) return kernel;
    reasons += fmt::format(" {}: {};", impl.name, why_not);
  }
  return nullptr;
}

void reserve_persistent_workspace() { ref::reserve_gemm_pack_buffers(); }

std::size_t persistent_workspace_bytes(int threads) {
  return ref::gemm_pack_bytes_per_thread() * static_cast<std::size_t>(threads);
}

}  // namespace edgetrain
