// Precision assignment and memory planning passes.
#include <gtest/gtest.h>

#include "compile/compile.hpp"
#include "compile/memory_assignment.hpp"
#include "small_graphs.hpp"

namespace edgetrain::compiler::test {
namespace {

TEST(Precision, ValuesKeepTheirDeclaredTypeAndGradientsAreF32) {
  const Graph g = plain_stack();
  const Precisions p = assign_precisions(g, differentiate(g, options()), DType::f32);
  ASSERT_EQ(p.values.size(), g.values.size());
  EXPECT_EQ(p.values[static_cast<size_t>(g.labels)], DType::i32);
  EXPECT_EQ(p.values[static_cast<size_t>(g.input)], DType::f32);
  for (DType t : p.gradients) EXPECT_EQ(t, DType::f32);
}

TEST(MemoryAssignment, TheBreakdownCountsEveryRequestAndTheArenaIsThePlannersPeak) {
  const Graph g = plain_stack(16);
  CompileOptions o = options();
  o.optimizer.kind = optim::OptimizerKind::adam;
  const Plan plan = compile(g, o);
  std::size_t requested = 0, counted = 0, weights = 0;
  for (const BufferRequest& r : plan.buffers) requested += r.bytes;
  for (std::size_t k = 0; k < kBufferKinds; ++k) counted += plan.breakdown.requested(static_cast<BufferKind>(k));
  EXPECT_EQ(counted, requested);
  for (const Slot& p : g.params) weights += static_cast<size_t>(p.shape.numel()) * sizeof(float);
  EXPECT_EQ(plan.breakdown.weights, weights);
  EXPECT_EQ(plan.breakdown.optimizer_state, 2 * weights) << "Adam: two moments per trained parameter";
  EXPECT_EQ(plan.breakdown.arena, plan.memory.arena_bytes);
  EXPECT_LT(plan.breakdown.arena, requested) << "buffers whose lifetimes do not overlap share bytes";
  // Every buffer is placed inside the arena.
  for (size_t b = 0; b < plan.buffers.size(); ++b)
    EXPECT_LE(plan.memory.offsets[b] + plan.buffers[b].bytes, plan.memory.arena_bytes) << plan.buffers[b].label;
}

TEST(MemoryAssignment, OnlyNativeGemmStepsKeepAPersistentWorkspace) {
  const Graph g = plain_stack(16);
  CompileOptions native = options();
  native.backend = KernelBackend::native;
  EXPECT_GT(compile(g, native).breakdown.kernel_workspace, 0u);
  CompileOptions ref = options();
  ref.backend = KernelBackend::reference;  // plain loops: no workspace
  EXPECT_EQ(compile(g, ref).breakdown.kernel_workspace, 0u);
  GraphBuilder b(Shape{3, 4, 4});
  const Graph pool_only = b.finish(b.flatten("flat", b.global_avg_pool("gap", b.input())));
  CompileOptions o = options();
  o.backend = KernelBackend::native;
  o.trainable = parse_trainable("all");
  o.training = false;
  EXPECT_EQ(compile(pool_only, o).breakdown.kernel_workspace, 0u);
}

}  // namespace
}  // namespace edgetrain::compiler::test
