// Kernel choice: the problem each step poses (op, pass, shapes, element type, layouts, fused
// activation) and the kernel taking it, selected once per distinct problem — layout assignment asks
// again only for the steps a decision changed, and lowering takes the kernels it settled on.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "compile/context.hpp"
#include "kernels/kernel.hpp"

namespace edgetrain::compiler {

// The kernel steps in execution order: the forward of every node that is not a view or a fused
// activation, then, when training, the backward passes autodiff asked for, last node first.
std::vector<StepId> kernel_steps(const CompileContext& c, const Fusion& fusion);

// Whether the node's kernels run in training mode (see TrainingBehaviour).
bool kernel_training(const CompileContext& c, int node);

KernelProblem problem_of(const CompileContext& c, const Layouts& layouts, StepId step);

class KernelChoice {
 public:
  explicit KernelChoice(BackendChoice backend) : backend_(backend) {}
  // The kernel for the problem, or nullptr with every backend's reason appended to `reasons`.
  std::shared_ptr<const Kernel> try_choose(StepId step, const KernelProblem& problem, std::string& reasons);
  // The kernel for the problem; throws Error when no backend takes it.
  std::shared_ptr<const Kernel> choose(StepId step, const KernelProblem& problem);
  // Problems selected so far (kernels created), for tests.
  int selections() const { return selections_; }

 private:
  struct Entry {
    KernelProblem problem;
    std::shared_ptr<const Kernel> kernel;  // null: declined
    std::string reasons;
  };
  const Entry* find(StepId step, const KernelProblem& problem) const;
  BackendChoice backend_;
  std::map<StepId, std::vector<Entry>> cache_;
  int selections_ = 0;
};

}  // namespace edgetrain::compiler
