// Kernel selection: an ordered, explicit table of implementations, one row per KernelBackend
// (backend.hpp). For a problem (op, pass, shapes, dtype, layouts) select_kernel() asks each factory in
// order; the first that accepts builds the kernel. The reference backend is last and accepts every
// f32/f64 plain problem, so a faster backend is added by putting its row in front — the reference code
// does not change. A problem with bf16 operands that no row takes as posed (mixed element types, or
// bf16 where no backend has a kernel) runs on a row's kernel for the uniform bf16 or f32 problem,
// converted at its boundaries (converting_kernel.hpp). EDGETRAIN_VERBOSE >= 2 prints, per candidate,
// "select,<op>,<pass>,<dtype>,<impl>,accepted" or "...,declined: <reason>" to stderr.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kernels/kernel.hpp"

namespace edgetrain {

// Builds a kernel for the problem, or returns nullptr and says why in why_not.
using KernelFactory = std::unique_ptr<Kernel> (*)(const KernelProblem&, std::string& why_not);

struct KernelImpl {
  KernelBackend backend;
  KernelFactory make;
};

// The table, fastest first, reference last.
std::span<const KernelImpl> kernel_impls();

// The first implementation that accepts the problem, starting at `backend` in the table (automatic:
// at the top; reference: only the reference). Throws Error when none accepts (only possible for
// element types the reference does not handle).
std::unique_ptr<Kernel> select_kernel(const KernelProblem& problem, BackendChoice backend = std::nullopt);
// The same, returning nullptr when no row accepts; each row's reason is appended to `reasons`.
std::unique_ptr<Kernel> try_select_kernel(const KernelProblem& problem, BackendChoice backend, std::string& reasons);

// Memory kernels keep for the life of the process outside any plan (the float GEMM's per-thread
// packing buffers), for `threads` worker threads; the memory plan adds it to the peak.
std::size_t persistent_workspace_bytes(int threads);
// Allocates that memory now for every worker thread (the executor does, when its plan counts it).
void reserve_persistent_workspace();

// The reference backend's factory (exposed for tests that compare a backend with the reference).
std::unique_ptr<Kernel> make_ref_kernel(const KernelProblem& problem, std::string& why_not);
// The native backend's factory (exposed for tests that check it against the reference).
std::unique_ptr<Kernel> make_native_kernel(const KernelProblem& problem, std::string& why_not);

}  // namespace edgetrain
