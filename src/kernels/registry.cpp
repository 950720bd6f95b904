#include "kernels/registry.hpp"

#include <cstdio>

#include "core/check.hpp"
#include "core/log.hpp"
#include "kernels/converting_kernel.hpp"
#include "kernels/native/gemm.hpp"
#include "kernels/native/native_kernels.hpp"
#include "kernels/onednn/onednn_kernels.hpp"

namespace edgetrain {
namespace {

// Fastest first, the reference last. A new backend gets a KernelBackend value and a row here.
constexpr KernelImpl kTable[] = {
    {KernelBackend::onednn, &make_onednn_kernel},
    {KernelBackend::native, &make_native_kernel},
    {KernelBackend::reference, &make_ref_kernel},
};

constexpr bool rows_follow_the_enum() {
  if (std::size(kTable) != kKernelBackends.size()) return false;
  for (std::size_t i = 0; i < std::size(kTable); ++i)
    if (kTable[i].backend != kKernelBackends[i]) return false;
  return true;
}
static_assert(rows_follow_the_enum(), "one table row per KernelBackend, in the enum's order");

}  // namespace

std::span<const KernelImpl> kernel_impls() { return kTable; }

std::unique_ptr<Kernel> select_kernel(const KernelProblem& problem, BackendChoice backend) {
  std::string reasons;
  if (std::unique_ptr<Kernel> k = try_select_kernel(problem, backend, reasons)) return k;
  fail("no kernel implements {} {} for element type {}:{} use f32, f64 or bf16", op_name(problem.attrs),
       pass_name(problem.pass), dtype_info(problem.dtype).name, reasons);
}

namespace {

// The first row (from `backend` on) that takes the uniform problem as it is.
std::unique_ptr<Kernel> first_accepting(const KernelProblem& problem, BackendChoice backend, std::string& reasons) {
  const bool verbose = verbose_level() >= 2;
  const std::string_view op = op_name(problem.attrs), pass = pass_name(problem.pass);
  const std::string_view type = dtype_info(problem.dtype).name;
  bool reached = !backend;
  for (const KernelImpl& impl : kernel_impls()) {
    reached = reached || impl.backend == *backend;
    if (!reached) continue;
    std::string why_not;
    std::unique_ptr<Kernel> kernel = impl.make(problem, why_not);
    const std::string_view name = backend_name(impl.backend);
    if (verbose)
      std::fprintf(stderr, "select,%.*s,%.*s,%.*s,%.*s,%s%s\n", static_cast<int>(op.size()), op.data(),
                   static_cast<int>(pass.size()), pass.data(), static_cast<int>(type.size()), type.data(),
                   static_cast<int>(name.size()), name.data(),
                   kernel ? "accepted" : "declined: ", kernel ? "" : why_not.c_str());
    if (kernel) return kernel;
    reasons += fmt::format(" {} ({}): {};", name, type, why_not);
  }
  return nullptr;
}

KernelProblem with_uniform_dtype(const KernelProblem& problem, DType t) {
  KernelProblem p = problem;
  p.dtype = t;
  for (DType& s : p.src_dtype)
    if (is_real(s)) s = t;
  return p;
}

}  // namespace

std::unique_ptr<Kernel> try_select_kernel(const KernelProblem& problem, BackendChoice backend, std::string& reasons) {
  const bool uniform = problem.uniform_dtype();
  if (uniform)
    if (std::unique_ptr<Kernel> k = first_accepting(problem, backend, reasons)) return k;
  const DType low = problem.low_precision_type();
  if (low == DType::f32) return nullptr;
  if (problem.has_padding_lanes()) {  // the converting kernel counts dense elements
    reasons += " converting kernels run unpadded layouts (a blocked tensor here has padding lanes);";
    return nullptr;
  }
  // Converted at the boundaries: a mixed bf16 problem's kernel in bf16, else (as any low-precision
  // problem no row takes: every fixed-point problem) in f32.
  const bool bf16_inner = !uniform && low == DType::bf16;
  for (DType inner : {DType::bf16, DType::f32}) {
    if (inner == DType::bf16 && !bf16_inner) continue;
    const KernelProblem p = with_uniform_dtype(problem, inner);
    if (std::unique_ptr<Kernel> k = first_accepting(p, backend, reasons))
      return std::make_unique<ConvertingKernel>(problem, inner, std::move(k));
  }
  return nullptr;
}

void reserve_persistent_workspace() { native::reserve_gemm_pack_buffers(); }

std::size_t persistent_workspace_bytes(int threads) {
  return native::gemm_pack_bytes_per_thread() * static_cast<std::size_t>(threads);
}

}  // namespace edgetrain
