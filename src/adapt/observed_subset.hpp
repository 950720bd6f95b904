// The observed subset S of the label space (LoCO-PDA, METHODS §2): from per-class shares (of top-1
// predictions, or an estimated label prior), the smallest set of classes covering a fraction q of the
// mass, or the classes whose share reaches a threshold; and how far two subsets are apart.
#pragma once
#include <span>
#include <vector>

namespace edgetrain::adapt {

struct SubsetRule {
  enum class Kind { mass, share };
  Kind kind = Kind::mass;
  double mass = 0.95;       // Kind::mass: the smallest set whose shares sum to at least this
  double min_share = 0.05;  // Kind::share: every class whose share is at least this
};

// Class ids in increasing order. Ties in share go to the lower id. Throws Error for a rule outside
// (0, 1] or shares that are negative.
std::vector<int> observed_subset(std::span<const double> shares, const SubsetRule& rule);

// 1 - |a ∩ b| / |a ∪ b| for sorted, duplicate-free id lists (0 for two empty sets).
double jaccard_distance(const std::vector<int>& a, const std::vector<int>& b);

}  // namespace edgetrain::adapt
