// edgetrain prune: the channel groups of a model (--explain), and structured pruning to a level
// (fraction of parameters removed) by a ranking criterion, written as a checkpoint.
#include <fmt/format.h>

#include <algorithm>

#include "common.hpp"
#include "core/check.hpp"
#include "io/atomic_file.hpp"
#include "io/model_io.hpp"
#include "model_spec.hpp"
#include "data/loader.hpp"
#include "prune/data_criteria.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "verbs.hpp"

namespace edgetrain::cli {

namespace {

struct PruneOptions {
  ModelSpec model;
  bool explain = false;
  double level = 0.5;
  std::string criterion = "l1";
  uint64_t seed = 1;
  std::string out;
  std::string json;
  DataSpec data;           // what the data-aware criteria observe
  int64_t batch = 32;
  int64_t rank_batches = 8;
  std::string backend = "auto";
};

// Scores for the criterion: from the weights (l1, random) or from batches of the data (activation,
// apoz, taylor), normalised as the model expects.
std::vector<std::vector<double>> scores_for(const PruneOptions& o, const Model& model, const prune::ChannelGroups& groups) {
  prune::DataCriterion dc;
  if (!prune::parse_data_criterion(o.criterion, dc))
    return prune::channel_scores(model, groups, prune::parse_criterion(o.criterion), o.seed);
  const Shape in = model.graph.input_shape();
  DataSplits data = open_data(o.data, Shape{in[1], in[2], in[3]});
  ET_REQUIRE(data.train->sample_shape() == Shape({in[1], in[2], in[3]}),
             "data samples are {} but the model takes {}", data.train->sample_shape().str(),
             Shape({in[1], in[2], in[3]}).str());
  data::LoaderOptions lo;
  lo.batch = std::min(o.batch, data.train->size());
  lo.drop_last = true;
  lo.seed = o.seed;
  lo.augment.mean = model.info.mean;
  lo.augment.std = model.info.std;
  data::BatchLoader loader(data.train, lo);
  loader.start_epoch(0);
  int64_t left = o.rank_batches;
  return prune::data_channel_scores(model, groups, dc, lo.batch, [&](float* images, int32_t* labels) {
    return left-- > 0 && loader.next(images, labels) == lo.batch;
  }, o.backend);
}

int64_t forward_macs_of(const Graph& g) {
  int64_t macs = 0;
  for (const Node& n : g.nodes) {
    std::vector<Shape> src;
    for (int v : n.inputs) src.push_back(g.values[v].shape);
    macs += forward_macs(n.attrs, src, g.values[n.output].shape);
  }
  return macs;
}

int run_prune(const PruneOptions& o) {
  Model model = open_model(o.model, 0, Shape{}, o.seed);
  const prune::ChannelGroups groups = prune::analyse_channels(model.graph);
  if (o.explain) {
    fmt::print("{}: {} channel groups\n{}", model.info.arch, groups.groups.size(), prune::describe(model.graph, groups));
    if (o.out.empty()) return 0;
  }
  if (!o.out.empty()) io::check_writable(o.out);
  const auto scores = scores_for(o, model, groups);
  const prune::PruningChoice choice = prune::choose_channels(model, groups, scores, o.level);
  Model pruned = prune::apply_pruning(model, groups, choice.keep);
  const int64_t macs_before = forward_macs_of(model.graph), macs_after = forward_macs_of(pruned.graph);
  fmt::print("{}: pruned {:.1f} % of the parameters by {} (asked {:.1f} %): {} -> {} parameters, "
             "{:.1f} -> {:.1f} MFLOP forward per image\n",
             model.info.arch, 100.0 * choice.level(), o.criterion, 100.0 * o.level, choice.params_before,
             choice.params_after, 2e-6 * static_cast<double>(macs_before), 2e-6 * static_cast<double>(macs_after));
  if (!o.out.empty()) {
    io::save_checkpoint(o.out, pruned, nullptr, {{"pruned_from", model.info.arch}, {"level", choice.level()},
                                                  {"criterion", o.criterion}});
    fmt::print("  checkpoint      {}\n", o.out);
  }
  write_json(o.json, {{"command", "prune"}, {"model", model.info.arch}, {"criterion", o.criterion},
                      {"level_asked", o.level}, {"level", choice.level()}, {"params_before", choice.params_before},
                      {"params_after", choice.params_after}, {"macs_before", macs_before}, {"macs_after", macs_after}});
  return 0;
}

}  // namespace

Action add_prune(CLI::App& app) {
  auto o = std::make_shared<PruneOptions>();
  add_model_options(app, o->model);
  app.add_flag("--explain", o->explain, "print the channel groups found (what must be pruned together)");
  app.add_option("--level", o->level, "fraction of the parameters to remove")->capture_default_str();
  app.add_option("--criterion", o->criterion,
                 "channel ranking: l1 (mean |w| per filter) | random | activation | apoz | taylor (the last three "
                 "measured on --data)")
      ->capture_default_str();
  add_data_options(app, o->data);
  app.add_option("--batch", o->batch, "batch size for the data-aware criteria")->capture_default_str();
  app.add_option("--rank-batches", o->rank_batches, "batches the data-aware criteria observe")->capture_default_str();
  app.add_option("--backend", o->backend, "kernels: auto, onednn, ref")->capture_default_str();
  app.add_option("--seed", o->seed, "seed (random criterion)")->capture_default_str();
  app.add_option("--out", o->out, "write the pruned model as a checkpoint");
  app.add_option("--json", o->json, "write a machine-readable report here");
  return [o] { return run_prune(*o); };
}

}  // namespace edgetrain::cli
