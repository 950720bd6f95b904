// A kernel made of free functions over op attributes A — fwd, bwd_data, bwd_weights and the scratch
// they need — as the reference (kernels/ref) and native (kernels/native) backends write their kernels.
// The kernel keeps the problem and calls the function of its pass.
#pragma once
#include <cstddef>
#include <variant>

#include "kernels/kernel.hpp"

namespace edgetrain {

// The functions see the problem as Problem: the whole KernelProblem, or only its OpDesc (the reference's).
template <class A, class Problem = KernelProblem>
struct LoopFunctions {
  using Pass = void (*)(const A&, const Problem&, const KernelArgs&);
  Pass fwd = nullptr, bwd_data = nullptr, bwd_weights = nullptr;  // null: the op has no such pass
  std::size_t (*scratch_bytes)(const A&, const Problem&) = nullptr;
};

// What a loop kernel reports about itself besides its functions.
struct LoopKernelFacts {
  KernelBackend backend = KernelBackend::reference;
  Algorithm algorithm = Algorithm::reference;
  bool uses_persistent_workspace = false;
};

template <class A, class Problem = KernelProblem>
class LoopKernel final : public Kernel {
 public:
  LoopKernel(const LoopFunctions<A, Problem>& fns, const LoopKernelFacts& facts, const KernelProblem& problem)
      : problem_(problem),
        attrs_(std::get<A>(problem_.attrs)),
        fns_(fns),
        facts_(facts),
        scratch_(fns.scratch_bytes ? fns.scratch_bytes(attrs_, problem_) : 0) {}

  void execute(const KernelArgs& args) const override {
    const typename LoopFunctions<A, Problem>::Pass pass = problem_.pass == Pass::fwd        ? fns_.fwd
                                                          : problem_.pass == Pass::bwd_data ? fns_.bwd_data
                                                                                            : fns_.bwd_weights;
    if (pass) pass(attrs_, problem_, args);
  }
  KernelBackend backend() const override { return facts_.backend; }
  std::size_t scratch_bytes() const override { return scratch_; }
  Algorithm algorithm() const override { return facts_.algorithm; }
  bool uses_persistent_workspace() const override { return facts_.uses_persistent_workspace; }

 private:
  Problem problem_;
  A attrs_;
  LoopFunctions<A, Problem> fns_;
  LoopKernelFacts facts_;
  std::size_t scratch_;
};

}  // namespace edgetrain
