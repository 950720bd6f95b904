// Structured pruning: channels ranked by a criterion, then removed (whole filters with everything
// that reads them) down to a level — the fraction of parameters removed. A ChannelRanking is made
// once and prunes at as many levels as wanted (a search for the highest level that keeps the
// accuracy ranks once); Model::pruned and TrainingSession::prune apply it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgetrain/data.hpp"
#include "edgetrain/export.hpp"
#include "edgetrain/options.hpp"

namespace edgetrain {

class Model;
namespace detail { struct RankingState; }

// Structured pruning criteria: weight L1 norm, random, or measured on data (activation magnitude,
// average percentage of zeros, first-order Taylor importance).
enum class PruneCriterion { l1, random, activation, apoz, taylor };

// How to prune.
struct PruneOptions {
  double level = 0.5;                          // fraction of the parameters to remove (0..1)
  PruneCriterion criterion = PruneCriterion::l1;  // how channels are ranked
  uint64_t seed = 1;                           // random criterion; data criteria: which batches
  int64_t rank_batches = 8;                    // data criteria: batches of the data to observe
  int64_t rank_batch = 32;                     // data criteria: their size
  Backend backend = Backend::automatic;        // data criteria: kernels
};

// Whether a criterion measures data (activation, apoz, taylor) rather than the weights.
EDGETRAIN_API bool needs_data(PruneCriterion criterion);

// Every prunable channel of a model with its score under a criterion (lowest: removed first). It
// holds the scores, not the model: pruning uses the weights of the model it is applied to.
class EDGETRAIN_API ChannelRanking {
 public:
  // Ranks by a weight criterion (l1, random). Throws Error for a data criterion.
  static ChannelRanking rank(const Model& model, const PruneOptions& options);
  // Ranks by any criterion; the data criteria run options.rank_batches batches of `data` (samples of
  // the model's input shape, labels below its class count) through the model.
  static ChannelRanking rank(const Model& model, const PruneOptions& options, const Dataset& data);

  ChannelRanking(const ChannelRanking&);
  ChannelRanking& operator=(const ChannelRanking&);
  ChannelRanking(ChannelRanking&&) noexcept;
  ChannelRanking& operator=(ChannelRanking&&) noexcept;
  ~ChannelRanking();

  PruneCriterion criterion() const;  // how it ranked
  int64_t channels() const;          // prunable channels ranked

  const detail::RankingState& state() const { return *state_; }  // for the library's own use

 private:
  explicit ChannelRanking(std::shared_ptr<const detail::RankingState> state);
  std::shared_ptr<const detail::RankingState> state_;
};

}  // namespace edgetrain
