#include "train/precision_policy.hpp"

#include <algorithm>
#include <cmath>

#include "core/check.hpp"

namespace edgetrain {

const std::vector<DType>& muppet_ladder() {
  static const std::vector<DType> ladder = {DType::fx8, DType::fx12, DType::fx14, DType::fx16, DType::f32};
  return ladder;
}

double PrecisionPolicy::threshold(int epoch) { return 1.0 + 1.5 * std::exp(-0.1 * epoch); }

PrecisionPolicy::PrecisionPolicy(std::size_t parameters, PrecisionPolicyOptions options) : options_(options) {
  // One epoch's gradient alone has diversity |g|^2 / |g|^2 = 1: an estimate needs two epochs at least.
  ET_REQUIRE(options.resolution >= 2, "precision schedule: the resolution must be at least 2 epochs, got {}",
             options.resolution);
  ET_REQUIRE(options.violations_to_switch >= 1, "precision schedule: violations must be at least 1, got {}",
             options.violations_to_switch);
  state_.sums.resize(parameters);
  state_.sum_squares.resize(parameters);
}

PrecisionPolicy::PrecisionPolicy(std::size_t parameters, PrecisionPolicyState state, PrecisionPolicyOptions options)
    : PrecisionPolicy(parameters, options) {
  const auto rungs = static_cast<int>(muppet_ladder().size());
  ET_REQUIRE(state.rung >= 0 && state.rung < rungs && state.epochs_pooled >= 0 && state.violations >= 0 &&
                 state.sums.size() == parameters && state.sum_squares.size() == parameters,
             "precision policy state does not fit this model ({} parameters)", parameters);
  state_ = std::move(state);
}

void PrecisionPolicy::restart_pool() {
  for (auto& s : state_.sums) s.clear();
  std::fill(state_.sum_squares.begin(), state_.sum_squares.end(), 0.0);
  state_.epochs_pooled = 0;
}

double PrecisionPolicy::diversity() const {
  double total = 0;
  int counted = 0;
  for (std::size_t l = 0; l < state_.sums.size(); ++l) {
    double norm2 = 0;
    for (float v : state_.sums[l]) norm2 += static_cast<double>(v) * v;
    if (norm2 <= 0) continue;  // frozen, or gradients that cancel exactly: no estimate
    total += state_.sum_squares[l] / norm2;
    ++counted;
  }
  return counted ? total / counted : 0.0;
}

const PolicyDecision& PrecisionPolicy::end_epoch(int epoch, const std::vector<std::vector<float>>& gradients) {
  ET_REQUIRE(gradients.size() == state_.sums.size(), "precision policy: {} gradients for {} parameters",
             gradients.size(), state_.sums.size());
  PolicyDecision d;
  d.epoch = epoch;
  d.trained_in = regime();
  d.threshold = threshold(epoch);
  const bool resting = regime() == muppet_ladder().back();
  if (!resting) {
    for (std::size_t l = 0; l < gradients.size(); ++l) {
      const std::vector<float>& g = gradients[l];
      if (g.empty()) continue;
      if (state_.sums[l].empty()) state_.sums[l].assign(g.size(), 0.0f);
      ET_REQUIRE(g.size() == state_.sums[l].size(), "precision policy: parameter {} gradient has {} values, not {}", l,
                 g.size(), state_.sums[l].size());
      double sq = 0;
      for (std::size_t i = 0; i < g.size(); ++i) {
        sq += static_cast<double>(g[i]) * g[i];
        state_.sums[l][i] += g[i];
      }
      state_.sum_squares[l] += sq;
    }
    if (++state_.epochs_pooled >= options_.resolution) {
      d.estimated = true;
      d.diversity = diversity();
      restart_pool();
      state_.max_diversity = std::max(state_.max_diversity, d.diversity);
      if (d.diversity > 0 && state_.max_diversity / d.diversity > d.threshold) ++state_.violations;
    }
  }
  d.max_diversity = state_.max_diversity;
  d.violations = state_.violations;
  if (state_.violations >= options_.violations_to_switch) {  // the next rung, counted afresh
    ++state_.rung;
    state_.violations = 0;
    state_.max_diversity = 0;
  }
  d.next = regime();
  state_.decisions.push_back(d);
  return state_.decisions.back();
}

}  // namespace edgetrain
