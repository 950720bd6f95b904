// Low-precision training (CompileOptions::activations = bf16 or fixed point) on a network with every
// op: the plan stores activations and their gradients at the type's bytes, the first step's loss is
// f32's within the type's accuracy (that it learns the synthetic task: engine_test's
// Autodiff.TrainingLearnsTheSyntheticTask).
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

TEST(LowPrecisionTraining, ActivationsAndTheirGradientsTakeTheTypesBytes) {
  const Network m = make_model(every_op_net());
  const Plan f32 = compile(m.graph, options(DType::f32));
  for (DType t : {DType::bf16, DType::fx16, DType::fx8}) {
    SCOPED_TRACE(dtype_info(t).name);
    const Plan low = compile(m.graph, options(t));
    // Exactly a half (a quarter for fx8), but for the f32 logits and loss (4 classes x 8 images, and 1
    // value), the fixed-point exponents and what alignment rounds up (64 bytes per buffer).
    EXPECT_LE(stored_activations(low), stored_activations(f32) * dtype_size(t) / 4 + 64 * low.buffers.size());
    EXPECT_EQ(low.breakdown.weights, f32.breakdown.weights) << "master weights stay f32";
    EXPECT_EQ(low.breakdown.optimizer_state, f32.breakdown.optimizer_state);
  }
  EXPECT_LT(compile(m.graph, options(DType::bf16)).breakdown.total(), f32.breakdown.total());
  EXPECT_THROW(compile(m.graph, options(DType::f64)), Error);
}

std::vector<double> first_losses(const std::vector<DType>& types) {
  BlobDataset data(8, Shape{1, 12, 12}, 4, 3);
  std::vector<float> images(8 * 144);
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < 8; ++i) {
    data.read(i, images.data() + i * 144);
    labels.push_back(data.label(i));
  }
  std::vector<double> losses;
  for (DType t : types) {
    Network m = make_model(every_op_net());
    CompileOptions o = options(t);
    o.optimizer.lr = 0;
    Plan plan = compile(m.graph, o);
    OptimizerState opt(m.graph, plan.trainable, o.optimizer);
    Executor exec(plan, m.params, &opt);
    exec.run(images.data(), labels.data());
    losses.push_back(exec.loss());
  }
  return losses;
}

TEST(LowPrecisionTraining, FirstLossIsF32sWithinTheTypesAccuracy) {
  const std::vector<double> l = first_losses({DType::f32, DType::bf16, DType::fx16, DType::fx8});
  // Ten layers deep, each rounding its output to 2^-8 (bf16), or by at most a step of 2^-15 (fx16) or
  // 2^-7 (fx8) of its largest magnitude: ten times that at most.
  EXPECT_NEAR(l[1], l[0], 0.03 * l[0]);
  EXPECT_NEAR(l[2], l[0], 0.001 * l[0]);
  EXPECT_NEAR(l[3], l[0], 0.08 * l[0]);
  EXPECT_NE(l[3], l[0]) << "fx8 rounds";
}

// Stochastic rounding draws from the step's seed: the same seed gives the same step, bit for bit.
TEST(LowPrecisionTraining, FixedPointStepsAreReproducible) {
  const std::vector<double> l = first_losses({DType::fx8, DType::fx8});
  EXPECT_EQ(l[0], l[1]);
}

}  // namespace
}  // namespace edgetrain
