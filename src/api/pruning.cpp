// ChannelRanking: scores from the weights or from batches of data; Model::pruned applies them.
#include "edgetrain/pruning.hpp"

#include <algorithm>

#include "api/convert.hpp"
#include "api/handles.hpp"
#include "api/pruning.hpp"
#include "core/check.hpp"
#include "data/loader.hpp"
#include "prune/data_criteria.hpp"
#include "prune/pruner.hpp"

namespace edgetrain {

namespace {

std::vector<Shape> param_shapes(const Graph& g) {
  std::vector<Shape> out;
  for (const Slot& s : g.params) out.push_back(s.shape);
  return out;
}

prune::DataCriterion data_criterion(PruneCriterion c) {
  switch (c) {
    case PruneCriterion::activation: return prune::DataCriterion::activation;
    case PruneCriterion::apoz: return prune::DataCriterion::apoz;
    default: return prune::DataCriterion::taylor;
  }
}

// Scores of a data criterion: options.rank_batches shuffled batches of `set`, normalised as the model
// expects, through the model.
std::vector<std::vector<double>> data_scores(const Network& net, const prune::ChannelGroups& groups,
                                             const PruneOptions& o, const std::shared_ptr<const data::Dataset>& set) {
  ET_REQUIRE(o.rank_batches > 0 && o.rank_batch > 0, "rank_batches and rank_batch must be positive");
  const Shape in = net.graph.input_shape();
  ET_REQUIRE(set->sample_shape() == Shape({in[1], in[2], in[3]}), "data samples are {} but the model takes {}",
             set->sample_shape().str(), Shape({in[1], in[2], in[3]}).str());
  ET_REQUIRE(static_cast<int64_t>(set->class_names().size()) <= net.graph.num_classes(),
             "the data has {} classes but the model only {} outputs", set->class_names().size(),
             net.graph.num_classes());
  data::LoaderOptions lo;
  lo.batch = std::min(o.rank_batch, set->size());
  lo.drop_last = true;
  lo.seed = o.seed;
  lo.augment.mean = net.info.mean;
  lo.augment.std = net.info.std;
  data::BatchLoader loader(set, lo);
  loader.start_epoch(0);
  int64_t left = o.rank_batches;
  return prune::data_channel_scores(
      net, groups, data_criterion(o.criterion), lo.batch,
      [&](float* images, int32_t* labels) { return left-- > 0 && loader.next(images, labels) == lo.batch; },
      api::to_internal(o.backend));
}

}  // namespace

bool needs_data(PruneCriterion c) { return c != PruneCriterion::l1 && c != PruneCriterion::random; }

prune::PruningChoice api::choose_channels(const detail::RankingState& ranking, const Network& net, double level) {
  ET_REQUIRE(ranking.param_shapes == param_shapes(net.graph),
             "this channel ranking was made for another model (its parameters differ in number or shape): rank "
             "the model being pruned");
  return prune::choose_channels(net, ranking.groups, ranking.scores, level);
}

ChannelRanking::ChannelRanking(std::shared_ptr<const detail::RankingState> state) : state_(std::move(state)) {}
ChannelRanking::ChannelRanking(const ChannelRanking&) = default;
ChannelRanking& ChannelRanking::operator=(const ChannelRanking&) = default;
ChannelRanking::ChannelRanking(ChannelRanking&&) noexcept = default;
ChannelRanking& ChannelRanking::operator=(ChannelRanking&&) noexcept = default;
ChannelRanking::~ChannelRanking() = default;

// The ranking state of `net`: its channel groups, scored by score(groups).
template <class Score>
std::shared_ptr<const detail::RankingState> ranked(const Network& net, PruneCriterion criterion, Score score) {
  auto state = std::make_shared<detail::RankingState>();
  state->criterion = criterion;
  state->groups = prune::analyse_channels(net.graph);
  state->scores = score(state->groups);
  state->param_shapes = param_shapes(net.graph);
  return state;
}

ChannelRanking ChannelRanking::rank(const Model& model, const PruneOptions& o) {
  ET_REQUIRE(!needs_data(o.criterion), "the activation, apoz and taylor criteria measure data: rank with a Dataset");
  const Network& net = model.state().net;
  const prune::Criterion c = o.criterion == PruneCriterion::l1 ? prune::Criterion::l1 : prune::Criterion::random;
  return ChannelRanking(ranked(
      net, o.criterion, [&](const prune::ChannelGroups& g) { return prune::channel_scores(net, g, c, o.seed); }));
}

ChannelRanking ChannelRanking::rank(const Model& model, const PruneOptions& o, const Dataset& data) {
  if (!needs_data(o.criterion)) return rank(model, o);
  const Network& net = model.state().net;
  return ChannelRanking(ranked(
      net, o.criterion, [&](const prune::ChannelGroups& g) { return data_scores(net, g, o, data.handle().set); }));
}

PruneCriterion ChannelRanking::criterion() const { return state_->criterion; }

int64_t ChannelRanking::channels() const {
  int64_t n = 0;
  for (const auto& s : state_->scores) n += static_cast<int64_t>(s.size());
  return n;
}

Model Model::pruned(const ChannelRanking& ranking, double level) const {
  const detail::RankingState& r = ranking.state();
  const prune::PruningChoice choice = api::choose_channels(r, state_->net, level);
  return detail::ModelState::make(prune::apply_pruning(state_->net, r.groups, choice.keep));
}

Model Model::pruned(const PruneOptions& o) const { return pruned(ChannelRanking::rank(*this, o), o.level); }

Model Model::pruned(const PruneOptions& o, const Dataset& data) const {
  return pruned(ChannelRanking::rank(*this, o, data), o.level);
}

}  // namespace edgetrain
