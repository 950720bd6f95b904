// After warm-up a training step makes no heap allocation: operator new is counted for the whole
// binary and must not move while steps run.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "compile/compile.hpp"
#include "runtime/executor.hpp"
#include "support/counting_new.hpp"
#include "synthetic.hpp"

namespace edgetrain {
namespace {

// The engine's own guarantee, on the reference and the native backends (the native GEMM's per-thread
// packing buffers are made before the first step). (oneDNN 2.6 builds a small argument map inside
// every primitive execution, so its kernels allocate and free a constant number of small blocks per
// call; tests/kernels/onednn_alloc_test.cpp pins that count.)
void expect_no_allocation_after_warmup(KernelBackend backend) {
  SCOPED_TRACE(backend_name(backend));
  testing::BlobDataset data(32, Shape{1, 12, 12}, 4, 1);
  Network m = testing::make_model(testing::every_op_net());
  CompileOptions o;
  o.batch = 8;
  o.optimizer.kind = optim::OptimizerKind::adam;
  o.backend = backend;
  Plan plan = compile(m.graph, o);
  OptimizerState opt(m.graph, plan.trainable, o.optimizer);
  Executor exec(plan, m.params, &opt);
  std::vector<float> images(8 * 144);
  std::vector<int32_t> labels(8);
  for (int i = 0; i < 8; ++i) {
    data.read(i, images.data() + i * 144);
    labels[static_cast<size_t>(i)] = data.label(i);
  }
  for (int i = 0; i < 2; ++i) exec.run(images.data(), labels.data());
  long before = test::allocations_so_far();
  for (int i = 0; i < 5; ++i) exec.run(images.data(), labels.data());
  EXPECT_EQ(test::allocations_so_far() - before, 0);
}

TEST(Executor, TrainingStepAllocatesNothingAfterWarmup) {
  expect_no_allocation_after_warmup(KernelBackend::reference);
  expect_no_allocation_after_warmup(KernelBackend::native);
}

}  // namespace
}  // namespace edgetrain
