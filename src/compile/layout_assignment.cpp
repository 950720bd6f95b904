#include "compile/layout_assignment.hpp"

#include <cstdio>

#include "core/log.hpp"

namespace edgetrain::compiler {

namespace {

// What earlier rounds decided; every decision only ever goes one way.
struct Decisions {
  std::vector<bool> demoted;               // per value: must be plain
  std::vector<bool> unfused;               // per node: must not fuse its activation
  std::vector<ParamLayout> param_layouts;  // per parameter: the layout adopted
  std::vector<bool> param_plain;           // per parameter: must stay row-major
};

// What one round found.
struct Changes {
  std::vector<int> demotions, unfused, plain_params;
  std::vector<std::pair<int, ParamLayout>> param_layouts;
  bool empty() const { return demotions.empty() && unfused.empty() && plain_params.empty() && param_layouts.empty(); }
};

bool may_block(const CompileOptions& o) { return o.blocked_layouts && blocks_convolutions(o.backend); }

std::vector<Layout> proposed_value_layouts(const CompileContext& c, const std::vector<bool>& demoted) {
  const Graph& g = c.graph;
  std::vector<Layout> layouts(g.values.size(), Layout::plain);
  if (!may_block(c.options)) return layouts;
  for (size_t v = 0; v < g.values.size(); ++v) {
    const DType t = c.precisions.values[v];
    if (static_cast<int>(v) == g.input || demoted[v] || (t != DType::f32 && !is_low_precision(t)) ||
        g.values[v].producer < 0 || !blockable(c.facts.shapes[v]))
      continue;
    bool viewed = false;
    for (int n : c.facts.consumers[v]) viewed = viewed || is_view(g.nodes[static_cast<size_t>(n)].attrs);
    if (!viewed) layouts[v] = Layout::blocked16;
  }
  return layouts;
}

Layouts layouts_for(const CompileContext& c, const Decisions& d) {
  Layouts l;
  l.values = proposed_value_layouts(c, d.demoted);
  l.params = d.param_layouts;
  l.fusion = choose_fusions(c.graph, c.facts, l.values, d.unfused, c.options);
  return l;
}

// A row-major parameter of the node that its forward kernel would rather have in another layout.
void propose_param_layouts(const CompileContext& c, const Decisions& d, int node, const Kernel& k, Changes& out) {
  if (!may_block(c.options) || !c.options.blocked_params) return;
  const Node& n = c.graph.nodes[static_cast<size_t>(node)];
  for (size_t i = 0; i < n.params.size(); ++i) {
    const size_t w = static_cast<size_t>(n.params[i]);
    if (d.param_plain[w] || !d.param_layouts[w].plain() || c.facts.param_readers[w] != 1) continue;
    ParamLayout l = k.preferred_weight_layout(i);
    if (!l.plain() && l.numel() == c.graph.params[w].shape.numel() && l.dense())
      out.param_layouts.emplace_back(static_cast<int>(w), std::move(l));
  }
}

// The step's kernel in its layouts; when none takes them, records what to change and returns the
// plain, unfused problem's kernel (the step's kernel should the next round change nothing for it).
std::shared_ptr<const Kernel> settle_step(const CompileContext& c, const Layouts& l, StepId step, KernelChoice& kernels,
                                          Changes& out) {
  KernelProblem prob = problem_of(c, l, step);
  if (prob.all_plain() && prob.fused_activation == Activation::none) return kernels.choose(step, prob);
  std::string reasons;
  if (std::shared_ptr<const Kernel> k = kernels.try_choose(step, prob, reasons)) return k;
  const Node& n = c.graph.nodes[static_cast<size_t>(step.node)];
  const bool fused = prob.fused_activation != Activation::none;
  if (verbose_level() >= 2)
    std::fprintf(stderr, "compile,%s,%s,%s,%s\n", fused ? "unfuse" : "demote", n.name.c_str(),
                 std::string(pass_name(step.pass)).c_str(), reasons.c_str());
  if (fused) {
    out.unfused.push_back(step.node);
  } else {
    std::vector<int> values = n.inputs;
    values.push_back(n.output);
    for (int v : values)
      if (l.values[static_cast<size_t>(v)] != Layout::plain) out.demotions.push_back(v);
    for (int w : n.params)
      if (!l.params[static_cast<size_t>(w)].plain()) out.plain_params.push_back(w);
  }
  prob.src_layout.assign(prob.src.size(), Layout::plain);
  prob.dst_layout = Layout::plain;
  prob.weight_layouts.assign(prob.weight_layouts.size(), ParamLayout{});
  prob.fused_activation = Activation::none;
  return kernels.choose(step, prob);
}

void apply(const Changes& ch, Decisions& d) {
  for (int v : ch.demotions) d.demoted[static_cast<size_t>(v)] = true;
  for (int n : ch.unfused) d.unfused[static_cast<size_t>(n)] = true;
  for (const auto& [w, l] : ch.param_layouts) d.param_layouts[static_cast<size_t>(w)] = l;
  for (int w : ch.plain_params) {
    d.param_layouts[static_cast<size_t>(w)] = ParamLayout{};
    d.param_plain[static_cast<size_t>(w)] = true;
  }
}

}  // namespace

LayoutAssignment assign_layouts(const CompileContext& c, KernelChoice& kernels) {
  const Graph& g = c.graph;
  Decisions d;
  d.demoted.assign(g.values.size(), false);
  d.unfused.assign(g.nodes.size(), false);
  d.param_layouts.assign(g.params.size(), ParamLayout{});
  d.param_plain.assign(g.params.size(), false);
  for (int round = 1;; ++round) {
    LayoutAssignment a{layouts_for(c, d), round};
    Changes changes;
    for (StepId step : kernel_steps(c, a.layouts.fusion)) {
      std::shared_ptr<const Kernel> k = settle_step(c, a.layouts, step, kernels, changes);
      if (step.pass == Pass::fwd) propose_param_layouts(c, d, step.node, *k, changes);
    }
    if (changes.empty()) return a;
    apply(changes, d);
  }
}

}  // namespace edgetrain::compiler
