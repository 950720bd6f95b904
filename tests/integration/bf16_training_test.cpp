// bf16 training (CompileOptions::activations = bf16) on a network with every op: the plan stores
// activations and their gradients at half the bytes, the first step's loss is f32's within bf16
// accuracy (that it learns the synthetic task: engine_test's Autodiff.TrainingLearnsTheSyntheticTask).
#include <gtest/gtest.h>

#include <cmath>

#include "compile/compile.hpp"
#include "runtime/executor.hpp"
#include "synthetic.hpp"

namespace edgetrain {
namespace {

using testing::BlobDataset;
using testing::every_op_net;
using testing::make_model;

CompileOptions options(DType activations) {
  CompileOptions o;
  o.batch = 8;
  o.trainable = parse_trainable("all");
  o.activations = activations;
  return o;
}

std::size_t stored_activations(const Plan& p) {
  return p.breakdown.requested(BufferKind::activation) + p.breakdown.requested(BufferKind::activation_grad);
}

TEST(Bf16Training, ActivationsAndTheirGradientsTakeHalfTheBytes) {
  const Network m = make_model(every_op_net());
  const Plan f32 = compile(m.graph, options(DType::f32)), bf16 = compile(m.graph, options(DType::bf16));
  // Exactly half, but for the f32 logits and loss (4 classes x 8 images, and 1 value) and what
  // alignment rounds up (64 bytes per buffer).
  EXPECT_LE(stored_activations(bf16), stored_activations(f32) / 2 + 64 * bf16.buffers.size());
  EXPECT_LT(bf16.breakdown.total(), f32.breakdown.total());
  EXPECT_EQ(bf16.breakdown.weights, f32.breakdown.weights) << "master weights stay f32";
  EXPECT_EQ(bf16.breakdown.optimizer_state, f32.breakdown.optimizer_state);
  EXPECT_THROW(compile(m.graph, options(DType::f64)), Error);
}

TEST(Bf16Training, FirstLossIsF32sWithinBf16Accuracy) {
  BlobDataset data(8, Shape{1, 12, 12}, 4, 3);
  std::vector<float> images(8 * 144);
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < 8; ++i) {
    data.read(i, images.data() + i * 144);
    labels.push_back(data.label(i));
  }
  std::vector<double> losses;
  for (DType t : {DType::f32, DType::bf16}) {
    Network m = make_model(every_op_net());
    CompileOptions o = options(t);
    o.optimizer.lr = 0;
    Plan plan = compile(m.graph, o);
    OptimizerState opt(m.graph, plan.trainable, o.optimizer);
    Executor exec(plan, m.params, &opt);
    exec.run(images.data(), labels.data());
    losses.push_back(exec.loss());
  }
  // Ten layers deep, each rounding its output to 2^-8: a few percent at most.
  EXPECT_NEAR(losses[1], losses[0], 0.03 * losses[0]);
}

}  // namespace
}  // namespace edgetrain
