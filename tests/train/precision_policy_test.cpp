// MuPPET's switching policy (train/precision_policy.hpp) on gradients whose diversity is known in
// closed form: r copies of one gradient pool to Delta = r |g|^2 / (r |g|)^2 = 1/r; r orthogonal
// gradients of one norm to Delta = 1.
#include "train/precision_policy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "edgetrain/error.hpp"

namespace edgetrain {
namespace {

using Grads = std::vector<std::vector<float>>;

// Unit vector e_i of length n (an orthogonal family for i < n).
std::vector<float> unit(std::size_t n, std::size_t i) {
  std::vector<float> v(n, 0.0f);
  v[i] = 1.0f;
  return v;
}

// One estimate over r = 3 epochs: aligned (the same gradient each epoch: S = 1/3) or orthogonal (S = 1).
void pool(PrecisionPolicy& p, int& epoch, bool aligned) {
  for (std::size_t k = 0; k < 3; ++k) p.end_epoch(++epoch, Grads{unit(4, aligned ? 0 : k), {}});
}

TEST(PrecisionPolicy, ThresholdIsMuppets) {
  EXPECT_DOUBLE_EQ(PrecisionPolicy::threshold(0), 2.5);
  EXPECT_DOUBLE_EQ(PrecisionPolicy::threshold(10), 1.0 + 1.5 * std::exp(-1.0));
}

TEST(PrecisionPolicy, DiversityIsTheMeanOverParametersOfPooledSquaresOverSquaredSum) {
  PrecisionPolicy p(3);
  const std::vector<float> a = {3.0f, 4.0f};  // |a| = 5
  p.end_epoch(1, Grads{a, unit(3, 0), {}});
  p.end_epoch(2, Grads{a, unit(3, 1), {}});
  const PolicyDecision& d = p.end_epoch(3, Grads{a, unit(3, 2), {}});
  ASSERT_TRUE(d.estimated);
  // Parameter 0: 3 * 25 / (15^2 + 20^2) = 1/3; parameter 1: 3 / 3 = 1; parameter 2 does not train.
  EXPECT_NEAR(d.diversity, (1.0 / 3.0 + 1.0) / 2.0, 1e-12);
  EXPECT_EQ(d.trained_in, DType::fx8);
  const PolicyDecision& next = p.end_epoch(4, Grads{a, unit(3, 0), {}});
  EXPECT_FALSE(next.estimated) << "the pool restarted: the next estimate is 3 epochs later";
}

TEST(PrecisionPolicy, TwoViolationsMoveUpTheLadderAndTheCountRestarts) {
  PrecisionPolicy p(2);
  int epoch = 0;
  pool(p, epoch, false);  // S = 1: the maximum
  EXPECT_EQ(p.state().decisions.back().violations, 0);
  pool(p, epoch, true);  // S = 1/3: max / S = 3 > T(6) = 1.82
  EXPECT_EQ(p.state().decisions.back().violations, 1);
  EXPECT_EQ(p.regime(), DType::fx8);
  pool(p, epoch, true);
  const PolicyDecision& d = p.state().decisions.back();
  EXPECT_EQ(d.violations, 2);
  EXPECT_EQ(d.trained_in, DType::fx8);
  EXPECT_EQ(d.next, DType::fx12);
  EXPECT_EQ(p.regime(), DType::fx12);
  EXPECT_EQ(p.state().violations, 0);
  EXPECT_EQ(p.state().max_diversity, 0.0);
  pool(p, epoch, true);  // the first estimate after a switch sets the maximum: no violation
  EXPECT_EQ(p.state().decisions.back().violations, 0);
}

TEST(PrecisionPolicy, SteadyDiversityNeverSwitchesAndF32Rests) {
  PrecisionPolicy steady(2);
  int epoch = 0;
  for (int k = 0; k < 10; ++k) pool(steady, epoch, false);
  EXPECT_EQ(steady.regime(), DType::fx8);

  // Estimates every 2 epochs, one violation switches: orthogonal pairs (S = 1) then aligned pairs
  // (S = 1/2: max / S = 2 > T(j) from j = 5 on) climb the ladder, one rung per 4 epochs from epoch 6.
  PrecisionPolicy p(1, PrecisionPolicyOptions{2, 1});
  epoch = 0;
  for (int k = 0; k < 22; ++k)
    p.end_epoch(++epoch, Grads{unit(2, (k / 2) % 2 == 0 ? static_cast<std::size_t>(k % 2) : 0)});
  EXPECT_EQ(p.regime(), DType::f32);
  EXPECT_FALSE(p.state().decisions.back().estimated) << "at f32 the policy rests";
  int switches = 0;
  for (const PolicyDecision& d : p.state().decisions) switches += d.next != d.trained_in;
  EXPECT_EQ(switches, 4);
}

// With one epoch per estimate a parameter's diversity is |g|^2 / |g|^2 = 1 whatever g: refused.
TEST(PrecisionPolicy, AnEstimateNeedsTwoEpochs) {
  EXPECT_THROW(PrecisionPolicy(1, PrecisionPolicyOptions{1, 1}), Error);
  EXPECT_THROW(PrecisionPolicy(1, PrecisionPolicyOptions{2, 0}), Error);
}

TEST(PrecisionPolicy, ASavedStateDecidesLikeTheUninterruptedRun) {
  PrecisionPolicy whole(2), first(2);
  int epoch = 0, e2 = 0;
  pool(whole, epoch, false);
  pool(first, e2, false);
  whole.end_epoch(++epoch, Grads{unit(4, 1), {}});
  first.end_epoch(++e2, Grads{unit(4, 1), {}});
  PrecisionPolicy resumed(2, first.state());
  for (int k = 0; k < 8; ++k) {
    const Grads g{unit(4, 0), {}};
    EXPECT_EQ(whole.end_epoch(epoch + 1 + k, g).diversity, resumed.end_epoch(epoch + 1 + k, g).diversity);
  }
  EXPECT_EQ(whole.regime(), resumed.regime());
  PrecisionPolicyState bad = first.state();
  bad.rung = 9;
  EXPECT_THROW(PrecisionPolicy(2, bad), Error);
  EXPECT_THROW(PrecisionPolicy(3, first.state()), Error);
  whole.end_epoch(99, Grads{unit(4, 0), {}});
  EXPECT_THROW(whole.end_epoch(100, Grads{unit(5, 0), {}}), Error) << "a gradient of another size";
}

}  // namespace
}  // namespace edgetrain
