#include "prune/data_criteria.hpp"

#include <algorithm>
#include <cmath>

#include "core/check.hpp"
#include "compile/compile.hpp"
#include "runtime/executor.hpp"

namespace edgetrain::prune {

namespace {

struct Probe {
  int value = -1;
  int64_t offset = 0;  // the group's first channel within the value
};

// Where a group's channels are read: the first consumer input that holds them one column each.
Probe probe_of(const Graph& g, const ChannelGroups& cg, int group) {
  for (int c : cg.groups[static_cast<size_t>(group)].consumers) {
    for (int v : g.nodes[static_cast<size_t>(c)].inputs) {
      int value = v;  // per channel: walk back through Flatten / Dropout to where channels are whole
      for (int p = g.values[static_cast<size_t>(value)].producer;
           p >= 0 && (is<FlattenAttrs>(g.nodes[static_cast<size_t>(p)].attrs) ||
                      is<DropoutAttrs>(g.nodes[static_cast<size_t>(p)].attrs));
           p = g.values[static_cast<size_t>(value)].producer)
        value = g.nodes[static_cast<size_t>(p)].inputs[0];
      int64_t offset = 0;
      for (const Segment& s : cg.value_segments[static_cast<size_t>(value)]) {
        if (s.group == group && s.repeat == 1) return {value, offset};
        offset += cg.groups[static_cast<size_t>(s.group)].channels * s.repeat;
      }
    }
  }
  return {};
}

Network copy_of(const Network& m) {
  Network c;
  c.graph = m.graph;
  c.params = ParameterStore(c.graph, 0);
  c.info = m.info;
  for (size_t p = 0; p < m.graph.params.size(); ++p) {
    const TensorView a = m.params.param(static_cast<int>(p)), b = c.params.param(static_cast<int>(p));
    std::copy(a.as<float>(), a.as<float>() + a.numel(), b.as<float>());
  }
  for (size_t s = 0; s < m.graph.states.size(); ++s) {
    const TensorView a = m.params.state(static_cast<int>(s)), b = c.params.state(static_cast<int>(s));
    std::copy(a.as<float>(), a.as<float>() + a.numel(), b.as<float>());
  }
  return c;
}

}  // namespace

bool parse_data_criterion(const std::string& name, DataCriterion& out) {
  if (name == "activation") out = DataCriterion::activation;
  else if (name == "apoz") out = DataCriterion::apoz;
  else if (name == "taylor") out = DataCriterion::taylor;
  else return false;
  return true;
}

std::vector<std::vector<double>> data_channel_scores(const Network& model, const ChannelGroups& cg,
                                                     DataCriterion criterion, int64_t batch,
                                                     const BatchSource& next_batch, BackendChoice backend) {
  const bool taylor = criterion == DataCriterion::taylor;
  Network work = copy_of(model);  // a training-mode step updates BN statistics: never the caller's
  CompileOptions o;
  o.batch = batch;
  o.training = taylor;
  o.backend = backend;
  o.planner = PlannerKind::no_reuse;  // every buffer keeps what the step left in it
  o.optimizer.lr = 0.0;
  o.optimizer.momentum = 0.0;
  o.backward_in_place = false;  // ReLU6 / Pointwise backward would overwrite dL/da with dL/d(pre-activation)
  o.blocked_layouts = false;    // the loops below read activations and gradients as NCHW
  o.fuse_activations = false;   // and each value from its own buffer
  Plan plan = compile(work.graph, o);
  OptimizerState opt(work.graph, plan.trainable, o.optimizer);
  Executor exec(plan, work.params, taylor ? &opt : nullptr);
  exec.set_learning_rate(0.0);

  const Shape in = plan.value_shapes[static_cast<size_t>(work.graph.input)];
  std::vector<float> images(static_cast<size_t>(in.numel()));
  std::vector<int32_t> labels(static_cast<size_t>(batch));
  std::vector<Probe> probes(cg.groups.size());
  std::vector<std::vector<double>> sum(cg.groups.size()), aux(cg.groups.size());
  for (size_t k = 0; k < cg.groups.size(); ++k) {
    if (cg.groups[k].fixed || cg.groups[k].sources.empty()) continue;
    probes[k] = probe_of(work.graph, cg, static_cast<int>(k));
    ET_REQUIRE(probes[k].value >= 0, "data-aware pruning: channel group {} (source '{}') is never read channel by "
               "channel; rank it with l1", k, work.graph.nodes[static_cast<size_t>(cg.groups[k].sources[0])].name);
    sum[k].assign(static_cast<size_t>(cg.groups[k].channels), 0.0);
    aux[k].assign(static_cast<size_t>(cg.groups[k].channels), 0.0);
  }
  int64_t batches = 0;
  while (next_batch(images.data(), labels.data())) {
    exec.run(images.data(), labels.data());
    ++batches;
    for (size_t k = 0; k < probes.size(); ++k) {
      const Probe& p = probes[k];
      if (p.value < 0) continue;
      const Shape& s = plan.value_shapes[static_cast<size_t>(p.value)];
      const int64_t C = s[1], HW = s.rank() > 2 ? s.numel_from(2) : 1;
      const auto* a = reinterpret_cast<const float*>(exec.buffer_data(plan.value_buffers[static_cast<size_t>(p.value)]));
      const int gb = plan.grad_buffers[static_cast<size_t>(p.value)];
      const float* d = taylor && gb >= 0 ? reinterpret_cast<const float*>(exec.buffer_data(gb)) : nullptr;
      if (taylor && !d) continue;
      for (int64_t c = 0; c < cg.groups[k].channels; ++c) {
        double s1 = 0, s2 = 0;
        for (int64_t n = 0; n < s[0]; ++n) {
          const int64_t base = (n * C + p.offset + c) * HW;
          for (int64_t i = 0; i < HW; ++i) {
            const double x = a[base + i];
            if (taylor) s1 += x * d[base + i];
            else s1 += std::abs(x), s2 += x > 0 ? 1.0 : 0.0;
          }
        }
        sum[k][static_cast<size_t>(c)] += s1;
        aux[k][static_cast<size_t>(c)] += s2;
      }
    }
  }
  ET_REQUIRE(batches > 0, "data-aware pruning criteria need at least one batch of data");
  std::vector<std::vector<double>> scores(cg.groups.size());
  for (size_t k = 0; k < probes.size(); ++k) {
    if (sum[k].empty()) continue;
    scores[k].assign(sum[k].size(), 0.0);
    const Shape& s = plan.value_shapes[static_cast<size_t>(probes[k].value)];
    const double count = static_cast<double>(batches) * static_cast<double>(s[0]) *
                         static_cast<double>(s.rank() > 2 ? s.numel_from(2) : 1);
    for (size_t c = 0; c < sum[k].size(); ++c) {
      if (criterion == DataCriterion::activation) scores[k][c] = sum[k][c] / count;
      else if (criterion == DataCriterion::apoz) scores[k][c] = aux[k][c] / count;
      else scores[k][c] = std::pow(sum[k][c] / static_cast<double>(batches), 2);
    }
  }
  return scores;
}

}  // namespace edgetrain::prune
