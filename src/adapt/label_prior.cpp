#include "adapt/label_prior.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.hpp"

namespace edgetrain::adapt {

PosteriorWindow::PosteriorWindow(int64_t classes, int64_t window) : classes_(classes), window_(window) {
  ET_REQUIRE(classes > 0 && window > 0, "posterior window: {} classes and {} frames must both be positive", classes,
             window);
  posteriors_.assign(static_cast<size_t>(classes * window), 0.f);
  top1_.assign(static_cast<size_t>(window), -1);
  top1_count_.assign(static_cast<size_t>(classes), 0);
}

void PosteriorWindow::push(std::span<const float> posterior) {
  ET_REQUIRE(static_cast<int64_t>(posterior.size()) == classes_,
             "posterior window: a frame has {} values, the model {} classes", posterior.size(), classes_);
  for (float p : posterior)
    ET_REQUIRE(p >= 0.f && p <= 1.f, "posterior window: {} is not a probability (pass the softmax of the logits)", p);
  const auto slot = static_cast<size_t>(next_);
  if (top1_[slot] >= 0) --top1_count_[static_cast<size_t>(top1_[slot])];
  std::copy(posterior.begin(), posterior.end(), posteriors_.begin() + static_cast<std::ptrdiff_t>(slot * classes_));
  top1_[slot] = static_cast<int32_t>(std::max_element(posterior.begin(), posterior.end()) - posterior.begin());
  ++top1_count_[static_cast<size_t>(top1_[slot])];
  next_ = (next_ + 1) % window_;
  count_ = std::min(count_ + 1, window_);
}

std::span<const float> PosteriorWindow::frame(int64_t k) const {
  return {posteriors_.data() + k * classes_, static_cast<size_t>(classes_)};
}

std::vector<double> PosteriorWindow::prediction_shares() const {
  std::vector<double> shares(static_cast<size_t>(classes_), 0.0);
  if (count_ == 0) return shares;
  for (size_t c = 0; c < shares.size(); ++c)
    shares[c] = static_cast<double>(top1_count_[c]) / static_cast<double>(count_);
  return shares;
}

PriorEstimate PosteriorWindow::em_prior(std::span<const double> source_prior, int max_iterations,
                                        double tolerance) const {
  ET_REQUIRE(count_ > 0, "label prior: the window holds no frames yet");
  ET_REQUIRE(static_cast<int64_t>(source_prior.size()) == classes_,
             "label prior: the source prior has {} classes, the model {}", source_prior.size(), classes_);
  double total = 0;
  for (double p : source_prior) {
    ET_REQUIRE(p > 0 && std::isfinite(p), "label prior: the source prior must be positive for every class, got {}", p);
    total += p;
  }
  ET_REQUIRE(std::abs(total - 1.0) < 1e-6, "label prior: the source prior sums to {}, not 1", total);
  PriorEstimate e;
  e.prior.assign(source_prior.begin(), source_prior.end());
  std::vector<double> ratio(static_cast<size_t>(classes_)), next(static_cast<size_t>(classes_)),
      q(static_cast<size_t>(classes_));
  for (e.iterations = 0; e.iterations < max_iterations && !e.converged; ++e.iterations) {
    for (size_t c = 0; c < ratio.size(); ++c) ratio[c] = e.prior[c] / source_prior[c];
    std::fill(next.begin(), next.end(), 0.0);
    for (int64_t k = 0; k < count_; ++k) {
      const std::span<const float> p = frame(k);
      double norm = 0;
      for (size_t c = 0; c < q.size(); ++c) norm += q[c] = static_cast<double>(p[c]) * ratio[c];
      if (norm <= 0) continue;  // the frame's posterior lies entirely on classes the estimate ruled out
      for (size_t c = 0; c < q.size(); ++c) next[c] += q[c] / norm;
    }
    double sum = 0, moved = 0;
    for (double v : next) sum += v;
    ET_REQUIRE(sum > 0, "label prior: every frame's posterior vanished under the estimate");
    for (size_t c = 0; c < next.size(); ++c) {
      next[c] /= sum;
      moved = std::max(moved, std::abs(next[c] - e.prior[c]));
    }
    e.prior.swap(next);
    e.converged = moved <= tolerance;
  }
  return e;
}

void reweight_logits(std::span<float> logits, std::span<const double> target_prior,
                     std::span<const double> source_prior) {
  ET_REQUIRE(logits.size() == target_prior.size() && logits.size() == source_prior.size(),
             "reweight logits: {} logits, {} target and {} source prior entries", logits.size(), target_prior.size(),
             source_prior.size());
  for (size_t c = 0; c < logits.size(); ++c)
    logits[c] = target_prior[c] > 0
                    ? logits[c] + static_cast<float>(std::log(target_prior[c]) - std::log(source_prior[c]))
                    : -std::numeric_limits<float>::infinity();
}

}  // namespace edgetrain::adapt
