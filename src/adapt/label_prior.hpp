// Observing the label distribution a deployed model serves (LoCO-PDA's "observe", METHODS §2): a
// sliding window over the last frames' posteriors p(y|x), the histogram of their top-1 predictions,
// and the EM re-estimation of the label prior (Saerens, Latinne & Decaestecker, 2002), which needs no
// backpropagation and corrects the histogram for the model's confusions.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace edgetrain::adapt {

struct PriorEstimate {
  std::vector<double> prior;  // per class, sums to 1
  int iterations = 0;
  bool converged = false;
};

class PosteriorWindow {
 public:
  // The last `window` frames of a `classes`-way classifier. Throws Error unless both are positive.
  PosteriorWindow(int64_t classes, int64_t window);

  // One frame's posterior (the softmax of its logits, `classes` values). Throws Error on a wrong size
  // or a value outside [0, 1].
  void push(std::span<const float> posterior);
  int64_t size() const { return count_; }
  int64_t classes() const { return classes_; }
  int64_t capacity() const { return window_; }

  // Share of the window's frames whose top-1 prediction is each class (all zero while empty).
  std::vector<double> prediction_shares() const;
  // EM for the window's label prior: starting from `source_prior` (the prior the model was trained
  // under, p(y)), repeat q(y|x) ∝ p(y|x) p'(y) / p(y) per frame and p'(y) = mean over frames of
  // q(y|x), until no class moves by more than `tolerance`. Throws Error on an empty window or a
  // source prior that is not a positive distribution over the classes.
  PriorEstimate em_prior(std::span<const double> source_prior, int max_iterations = 200, double tolerance = 1e-7) const;

 private:
  std::span<const float> frame(int64_t k) const;  // k-th stored frame, any order

  int64_t classes_, window_;
  std::vector<float> posteriors_;  // window_ x classes_, a ring
  std::vector<int32_t> top1_;      // per slot
  std::vector<int64_t> top1_count_;
  int64_t next_ = 0, count_ = 0;
};

// Logits for the target prior: logit(y) + log p'(y) - log p(y), whose softmax is the posterior
// reweighted by p'(y) / p(y) (a class with p'(y) = 0 gets -infinity).
void reweight_logits(std::span<float> logits, std::span<const double> target_prior,
                     std::span<const double> source_prior);

}  // namespace edgetrain::adapt
