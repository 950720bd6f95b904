#include "adapt/observed_subset.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>

#include "core/check.hpp"

namespace edgetrain::adapt {

std::vector<int> observed_subset(std::span<const double> shares, const SubsetRule& rule) {
  for (double s : shares) ET_REQUIRE(s >= 0, "observed subset: share {} is negative", s);
  std::vector<int> out;
  if (rule.kind == SubsetRule::Kind::share) {
    ET_REQUIRE(rule.min_share > 0 && rule.min_share <= 1, "observed subset: a share threshold of {} is outside (0, 1]",
               rule.min_share);
    for (size_t c = 0; c < shares.size(); ++c)
      if (shares[c] >= rule.min_share) out.push_back(static_cast<int>(c));
    return out;
  }
  ET_REQUIRE(rule.mass > 0 && rule.mass <= 1, "observed subset: a mass of {} is outside (0, 1]", rule.mass);
  std::vector<int> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return shares[static_cast<size_t>(a)] > shares[static_cast<size_t>(b)]; });
  const double total = std::accumulate(shares.begin(), shares.end(), 0.0);
  double covered = 0;
  for (int c : order) {
    if (total <= 0 || covered >= rule.mass * total - 1e-12) break;
    out.push_back(c);
    covered += shares[static_cast<size_t>(c)];
  }
  std::sort(out.begin(), out.end());
  return out;
}

double jaccard_distance(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> both, either;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(either));
  return either.empty() ? 0.0 : 1.0 - static_cast<double>(both.size()) / static_cast<double>(either.size());
}

}  // namespace edgetrain::adapt
