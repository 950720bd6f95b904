// Kernel selection: an ordered, explicit table of implementations. For a problem (op, pass, shapes,
// dtype) select_kernel() asks each factory in order; the first that accepts builds the kernel. The
// reference backend is last and accepts every f32/f64 problem, so a faster backend (oneDNN) is added by
// putting its row in front — the ref code does not change. EDGETRAIN_VERBOSE >= 2 prints, per candidate,
// "select,<op>,<pass>,<impl>,accepted" or "select,<op>,<pass>,<impl>,declined: <reason>" to stderr.
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
  std::string_view name;  // "onednn", "ref"
  KernelFactory make;
};

// The table, fastest first, reference last.
std::span<const KernelImpl> kernel_impls();

// The first implementation that accepts the problem, starting at `backend` in the table ("auto": at
// the top; "ref": only the reference). Throws Error for an unknown backend name, or when none accepts
// (only possible for element types the reference does not handle).
std::unique_ptr<Kernel> select_kernel(const KernelProblem& problem, std::string_view backend = "auto");
// The same, returning nullptr when no row accepts; each row's reason is appended to `reasons`.
std::unique_ptr<Kernel> try_select_kernel(const KernelProblem& problem, std::string_view backend, std::string& reasons);
// Throws Error unless `backend` is "auto" or the name of a table row.
void validate_backend(std::string_view backend);

// Memory kernels keep for the life of the process outside any plan (the float GEMM's per-thread
// packing buffers), for `threads` worker threads; the memory plan adds it to the peak.
std::size_t persistent_workspace_bytes(int threads);
// Allocates that memory now for every worker thread (the executor does, when its plan counts it).
void reserve_persistent_workspace();

// The reference backend's factory (exposed for tests that compare a backend with the reference).
std::unique_ptr<Kernel> make_ref_kernel(const KernelProblem& problem, std::string& why_not);

}  // namespace edgetrain
