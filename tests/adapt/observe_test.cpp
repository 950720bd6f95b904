// What a deployed model observes of its stream: the window of posteriors and its top-1 histogram, the
// EM label prior (against a known answer), the observed subset, and the class-balanced replay buffer.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "adapt/label_prior.hpp"
#include "adapt/observed_subset.hpp"
#include "adapt/replay_buffer.hpp"
#include "edgetrain/error.hpp"

namespace edgetrain::adapt {
namespace {

TEST(PosteriorWindow, HistogramOfTheLastFramesOnly) {
  PosteriorWindow w(3, 4);
  EXPECT_EQ(w.prediction_shares(), (std::vector<double>{0, 0, 0}));
  const std::array<float, 3> a{0.7f, 0.2f, 0.1f}, b{0.1f, 0.3f, 0.6f};
  for (int k = 0; k < 4; ++k) w.push(a);
  EXPECT_EQ(w.prediction_shares(), (std::vector<double>{1, 0, 0}));
  for (int k = 0; k < 3; ++k) w.push(b);  // three of the four class-0 frames leave the window
  EXPECT_EQ(w.size(), 4);
  EXPECT_EQ(w.prediction_shares(), (std::vector<double>{0.25, 0, 0.75}));
  EXPECT_THROW(w.push(std::array<float, 2>{0.5f, 0.5f}), Error);
  EXPECT_THROW(w.push(std::array<float, 3>{1.5f, 0.f, 0.f}), Error);
  EXPECT_THROW(PosteriorWindow(0, 4), Error);
}

// A classifier whose inputs take four values x with likelihoods p(x|y) = M[y][x], trained under a
// uniform prior: p(y|x) = M[y][x] / sum_y' M[y'][x]. Served frames whose labels follow the prior
// (0.6, 0.4, 0, 0), in exact proportions, EM recovers that prior; the top-1 histogram, which counts
// the model's confusions, does not.
TEST(PosteriorWindow, EmRecoversTheLabelPriorOfAKnownModel) {
  constexpr std::array<std::array<double, 4>, 4> M{
      {{0.55, 0.25, 0.15, 0.05}, {0.20, 0.50, 0.10, 0.20}, {0.10, 0.15, 0.60, 0.15}, {0.05, 0.25, 0.15, 0.55}}};
  const std::array<double, 4> target{0.6, 0.4, 0.0, 0.0}, uniform{0.25, 0.25, 0.25, 0.25};
  PosteriorWindow w(4, 1000);
  for (int x = 0; x < 4; ++x) {
    double px = 0, norm = 0;
    for (int y = 0; y < 4; ++y) px += target[y] * M[y][x], norm += M[y][x];
    std::array<float, 4> posterior{};
    for (int y = 0; y < 4; ++y) posterior[y] = static_cast<float>(M[y][x] / norm);
    for (int k = 0; k < static_cast<int>(std::lround(px * 1000)); ++k) w.push(posterior);
  }
  ASSERT_EQ(w.size(), 1000);
  const PriorEstimate e = w.em_prior(uniform, 100000, 1e-7);
  EXPECT_LT(e.iterations, 5000);
  EXPECT_TRUE(e.converged) << e.iterations << " iterations: " << e.prior[0] << " " << e.prior[1] << " " << e.prior[2]
                           << " " << e.prior[3];
  double em_error = 0, histogram_error = 0;
  const std::vector<double> shares = w.prediction_shares();
  for (int y = 0; y < 4; ++y) {
    em_error = std::max(em_error, std::abs(e.prior[y] - target[y]));
    histogram_error = std::max(histogram_error, std::abs(shares[y] - target[y]));
  }
  EXPECT_LT(em_error, 0.02) << e.prior[0] << " " << e.prior[1] << " " << e.prior[2] << " " << e.prior[3];
  EXPECT_GT(histogram_error, 0.1);
  EXPECT_THROW(w.em_prior(std::array<double, 4>{0.5, 0.5, 0.0, 0.0}), Error);
  EXPECT_THROW(PosteriorWindow(4, 10).em_prior(uniform), Error);
}

TEST(ReweightLogits, SoftmaxIsThePosteriorReweightedByThePriorRatio) {
  std::array<float, 3> logits{1.0f, 2.0f, 0.5f};
  const std::array<double, 3> target{0.5, 0.5, 0.0}, source{0.2, 0.3, 0.5};
  std::array<double, 3> want{};
  double norm = 0;
  for (int c = 0; c < 3; ++c) norm += want[c] = std::exp(logits[c]) * target[c] / source[c];
  reweight_logits(logits, target, source);
  double z = 0;
  for (float l : logits) z += std::exp(static_cast<double>(l));
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(std::exp(static_cast<double>(logits[c])) / z, want[c] / norm, 1e-6) << c;
  EXPECT_TRUE(std::isinf(logits[2]));
}

TEST(ObservedSubset, SmallestSetCoveringTheMassOrAboveAShare) {
  const std::array<double, 5> shares{0.05, 0.50, 0.02, 0.30, 0.13};
  EXPECT_EQ(observed_subset(shares, {SubsetRule::Kind::mass, 0.8, 0}), (std::vector<int>{1, 3}));
  EXPECT_EQ(observed_subset(shares, {SubsetRule::Kind::mass, 0.9, 0}), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(observed_subset(shares, {SubsetRule::Kind::mass, 1.0, 0}), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(observed_subset(shares, {SubsetRule::Kind::share, 0, 0.05}), (std::vector<int>{0, 1, 3, 4}));
  EXPECT_EQ(observed_subset(std::array<double, 3>{0.5, 0.5, 0.0}, {SubsetRule::Kind::mass, 0.5, 0}),
            (std::vector<int>{0}));  // a tie goes to the lower id
  EXPECT_THROW(observed_subset(shares, {SubsetRule::Kind::mass, 0.0, 0}), Error);
  EXPECT_THROW(observed_subset(std::array<double, 2>{0.5, -0.1}, {}), Error);
}

TEST(ObservedSubset, JaccardDistance) {
  EXPECT_DOUBLE_EQ(jaccard_distance({1, 3}, {1, 3}), 0.0);
  EXPECT_DOUBLE_EQ(jaccard_distance({1, 3}, {3, 4}), 1.0 - 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(jaccard_distance({1}, {2}), 1.0);
  EXPECT_DOUBLE_EQ(jaccard_distance({}, {}), 0.0);
}

// A stream of nine class-0 frames for every class-1 frame: the buffer still holds as many of class
// 1 as it has seen, up to half the capacity, and of each class the most recent frames.
TEST(ReplayBuffer, BalancedAcrossClassesAndRecentWithinEach) {
  ReplayBuffer b(10, 3, 2);
  for (int k = 0; k < 100; ++k) {
    const float v = static_cast<float>(k);
    b.add(std::array<float, 2>{v, -v}, k % 10 == 9 ? 1 : 0, k % 2 == 0);
  }
  EXPECT_EQ(b.size(), 10);
  EXPECT_EQ(b.count(1), 5);  // ten seen, five kept
  EXPECT_EQ(b.count(0), 5);
  EXPECT_EQ(b.count(2), 0);
  const auto all = b.samples();
  EXPECT_EQ(all.front()->input[0], 94.f);  // class 0 keeps frames 94 to 98
  std::vector<float> class1;
  for (const ReplaySample* s : all)
    if (s->label == 1) class1.push_back(s->input[0]);
  EXPECT_EQ(class1, (std::vector<float>{59, 69, 79, 89, 99}));
  std::vector<const ReplaySample*> train, held;
  b.split(5, train, held);
  EXPECT_EQ(train.size(), 8u);
  EXPECT_EQ(held.size(), 2u);  // one per class
  EXPECT_THROW(b.add(std::array<float, 3>{1, 2, 3}, 0, true), Error);
  EXPECT_THROW(b.add(std::array<float, 2>{1, 2}, 3, true), Error);
}

TEST(ReplayBuffer, ConfidentPredictionsStandInForLabels) {
  EXPECT_EQ(confident_label(std::array<float, 3>{0.1f, 0.85f, 0.05f}, 0.8), 1);
  EXPECT_EQ(confident_label(std::array<float, 3>{0.4f, 0.35f, 0.25f}, 0.8), std::nullopt);
}

}  // namespace
}  // namespace edgetrain::adapt
