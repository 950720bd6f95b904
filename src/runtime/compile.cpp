#include "runtime/compile.hpp"

#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/bytes.hpp"
#include "core/check.hpp"
#include "core/log.hpp"

#include "kernels/registry.hpp"

namespace edgetrain {

namespace {


// Layouts: every f32 4-D activation with a multiple of 16 channels, other than the graph input and a
// Flatten's input (a view of row-major bytes), starts blocked16. A step whose problem no kernel takes in
// those layouts (an op the blocked backend lacks, mixed layouts an element-wise kernel cannot take, the
// reference backend) runs in plain layouts, and every blocked value it touches is demoted to plain: the
// plan is built again with those values plain, until no step demotes any (a demotion can make a
// neighbour's layouts mixed, so it spreads one step per round).
//
// Parameters start row-major. A convolution weight whose forward kernel prefers another dense layout
// (preferred_weight_layout: oneDNN's choice, e.g. OIhw16i16o) takes it in the next round, for every step
// touching it (fwd, bwd_data, bwd_weights, the update) and for its gradient and optimizer state; a step
// whose kernel declines it makes it row-major for good. Only a weight read by a single node qualifies.

// What earlier rounds decided.
struct Decisions {
  std::vector<bool> demoted;               // per value: must be plain
  std::vector<bool> unfused;               // per node: must not fuse its activation
  std::vector<ParamLayout> param_layouts;  // per parameter: the layout adopted
  std::vector<bool> param_plain;           // per parameter: must stay row-major
};

class PlanBuilder {
 public:
  PlanBuilder(const Graph& g, const CompileOptions& o, const Decisions& d)
      : g_(g), o_(o), demoted_(d.demoted), unfused_(d.unfused), param_layouts_(d.param_layouts),
        param_plain_(d.param_plain) {}

  // Values this build found that must be plain, nodes that must not fuse their activation, parameters
  // that must be row-major or would rather take a layout (all empty: the plan is final).
  const std::vector<int>& new_demotions() const { return new_demotions_; }
  const std::vector<int>& new_unfused() const { return new_unfused_; }
  const std::vector<int>& new_plain_params() const { return new_plain_params_; }
  const std::vector<std::pair<int, ParamLayout>>& new_param_layouts() const { return new_param_layouts_; }
  bool final() const {
    return new_demotions_.empty() && new_unfused_.empty() && new_plain_params_.empty() && new_param_layouts_.empty();
  }

  Plan build() {
    plan_.training = o_.training;
    plan_.batch = o_.batch;
    Graph shaped = g_;
    shaped.infer_shapes(o_.batch);
    for (const Value& v : shaped.values) plan_.value_shapes.push_back(v.shape);
    plan_.num_classes = shaped.values[g_.logits].shape[1];
    resolve_training();
    plan_.param_grad_buffers.assign(g_.params.size(), -1);
    choose_layouts();
    choose_fusions();
    value_buffer_.assign(g_.values.size(), -1);
    diff_buffer_.assign(g_.values.size(), -1);
    aux_buffers_.assign(g_.nodes.size(), {});

    plan_.input_buffer = value_buffer_[g_.input] = request("input", g_.input, BufferKind::io);
    plan_.labels_buffer = value_buffer_[g_.labels] = request("labels", g_.labels, BufferKind::io);
    touch(plan_.input_buffer, 0);
    touch(plan_.labels_buffer, 0);
    for (size_t n = 0; n < g_.nodes.size(); ++n) emit_forward(static_cast<int>(n));
    if (o_.training) {
      for (int n = static_cast<int>(g_.nodes.size()) - 1; n >= 0; --n) emit_backward(n);
    }
    finish();
    return std::move(plan_);
  }

 private:
  // ---- buffers ----
  int request(const std::string& label, std::size_t bytes, BufferKind kind) {
    plan_.buffers.push_back({label, bytes, 64, -1, -1, kind});
    return static_cast<int>(plan_.buffers.size()) - 1;
  }
  int request(const std::string& label, int value, BufferKind kind) {
    const Shape& s = plan_.value_shapes[value];
    return request(label, static_cast<size_t>(s.numel()) * dtype_size(g_.values[value].dtype), kind);
  }
  void touch(int buffer, int step) {
    BufferRequest& r = plan_.buffers[buffer];
    r.first_step = r.first_step < 0 ? step : std::min(r.first_step, step);
    r.last_step = std::max(r.last_step, step);
  }
  int next_step() const { return static_cast<int>(plan_.steps.size()); }
  TensorRef arena_ref(int buffer, const Shape& shape, DType dtype) {
    touch(buffer, next_step());
    return {TensorRef::Space::arena, buffer, shape, dtype};
  }
  TensorRef value_ref(int value) { return arena_ref(value_buffer_[value], plan_.value_shapes[value], g_.values[value].dtype); }
  TensorRef diff_ref(int value, int buffer) { return arena_ref(buffer, plan_.value_shapes[value], DType::f32); }

  // ---- training set ----
  void resolve_training() {
    plan_.trainable.assign(g_.params.size(), false);
    if (o_.training) plan_.trainable = resolve_trainable(g_, o_.trainable);
    node_trains_.assign(g_.nodes.size(), false);
    for (size_t p = 0; p < g_.params.size(); ++p)
      if (plan_.trainable[p]) node_trains_[g_.params[p].node] = true;
    requires_grad_.assign(g_.values.size(), false);
    requires_grad_[g_.input] = o_.training && o_.input_grad;
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      const Node& node = g_.nodes[n];
      bool rg = node_trains_[n];
      for (int v : node.inputs) rg = rg || requires_grad_[v];
      requires_grad_[node.output] = o_.training && rg;
    }
    plan_.opt_slots = optim::state_slots(o_.optimizer);
    // Which values some backward step may read (conservative: any node on the gradient path).
    read_by_backward_.assign(g_.values.size(), false);
    consumers_ = g_.consumers();
    param_readers_.assign(g_.params.size(), 0);
    for (const Node& node : g_.nodes)
      for (int w : node.params) ++param_readers_[static_cast<size_t>(w)];
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      const Node& node = g_.nodes[n];
      if (!requires_grad_[node.output]) continue;
      for (Pass pass : {Pass::bwd_data, Pass::bwd_weights}) {
        BackwardReads r = backward_reads(node.attrs, pass);
        if (r.src) for (int v : node.inputs) read_by_backward_[v] = true;
        if (r.dst) read_by_backward_[node.output] = true;
      }
    }
  }

  void choose_layouts() {
    value_layout_.assign(g_.values.size(), Layout::plain);
    if (!o_.blocked_layouts || o_.backend == "ref") return;
    for (size_t v = 0; v < g_.values.size(); ++v) {
      if (static_cast<int>(v) == g_.input || demoted_[v] || g_.values[v].dtype != DType::f32 ||
          g_.values[v].producer < 0 || !blockable(plan_.value_shapes[v]))
        continue;
      bool viewed = false;
      for (int c : consumers_[v]) viewed = viewed || is<FlattenAttrs>(g_.nodes[static_cast<size_t>(c)].attrs);
      if (!viewed) value_layout_[v] = Layout::blocked16;
    }
  }

  // Activation fusion: a ReLU / ReLU6 whose input has no other reader is computed by the step that
  // produces that input (a kernel problem with fused_activation). The activation node then emits no
  // steps: its input value shares its output's buffer (it is never materialised on its own), the
  // producer's forward writes act(output) there, and the producer's backward reads that output to mask
  // the incoming gradient. A producer whose kernel declines the fused problem is marked for the next
  // round, as layouts are.
  void choose_fusions() {
    fused_act_.assign(g_.nodes.size(), -1);
    fused_into_.assign(g_.nodes.size(), -1);
    // Not when every gradient must keep its own buffer (inspection): fused, the activation's input and
    // output share their value and gradient buffers.
    if (!o_.fuse_activations || !o_.backward_in_place || o_.backend == "ref") return;
    for (size_t a = 0; a < g_.nodes.size(); ++a) {
      const Node& act = g_.nodes[a];
      if (!is<ReluAttrs>(act.attrs) && !is<Relu6Attrs>(act.attrs)) continue;
      const int v = act.inputs[0], p = g_.values[static_cast<size_t>(v)].producer;
      if (p < 0 || unfused_[static_cast<size_t>(p)] || consumers_[v].size() != 1 || v == g_.logits ||
          !fusable_producer(g_.nodes[static_cast<size_t>(p)].attrs) || value_layout_[v] != value_layout_[act.output])
        continue;
      fused_act_[static_cast<size_t>(p)] = static_cast<int>(a);
      fused_into_[a] = p;
    }
  }
  static bool fusable_producer(const Attrs& a) { return is<BatchNormAttrs>(a) || is<Conv2dAttrs>(a); }
  Activation fused_activation(int node) const {
    const int a = fused_act_[static_cast<size_t>(node)];
    if (a < 0) return Activation::none;
    return is<Relu6Attrs>(g_.nodes[static_cast<size_t>(a)].attrs) ? Activation::relu6 : Activation::relu;
  }
  // The value a node's forward step writes: its output, or its fused activation's.
  int written_value(int node) const {
    const int a = fused_act_[static_cast<size_t>(node)];
    return a < 0 ? g_.nodes[static_cast<size_t>(node)].output : g_.nodes[static_cast<size_t>(a)].output;
  }

  // The input whose buffer the forward output may take (its bytes are needed by no one after this
  // step), or -1.
  int in_place_input(const Node& n) const {
    if (!forward_in_place(n.attrs)) return -1;
    for (int in : n.inputs) {
      const int producer = g_.values[in].producer;
      if (in != g_.input && producer >= 0 && !is<FlattenAttrs>(g_.nodes[producer].attrs) &&
          consumers_[in].size() == 1 && !read_by_backward_[in] && in != g_.logits &&
          plan_.value_shapes[in] == plan_.value_shapes[n.output] && value_layout_[in] == value_layout_[n.output])
        return in;
    }
    return -1;
  }

  bool kernel_training(const Node& n) const {
    if (!o_.training) return false;
    if (is<BatchNormAttrs>(n.attrs)) return !o_.freeze_bn_stats;
    // Max pooling's training mode only saves the argmax for its backward: none in a frozen prefix.
    if (is<MaxPoolAttrs>(n.attrs)) return requires_grad_[n.output];
    return true;
  }

  KernelProblem problem_of(const Node& n, Pass pass, bool weight_grads_in_bwd_data = false) const {
    KernelProblem p;
    p.weight_grads_in_bwd_data = weight_grads_in_bwd_data;
    p.attrs = n.attrs;
    p.pass = pass;
    for (int v : n.inputs) p.src.push_back(plan_.value_shapes[v]);
    p.dst = plan_.value_shapes[n.output];
    p.dtype = DType::f32;
    for (int v : n.inputs) p.src_layout.push_back(value_layout_[v]);
    p.dst_layout = value_layout_[n.output];
    for (int w : n.params) p.weight_layouts.push_back(param_layouts_[static_cast<size_t>(w)]);
    p.fused_activation = fused_activation(node_id_of(n));
    p.winograd = o_.winograd;
    p.training = kernel_training(n);
    if (p.training && is<BatchNormAttrs>(n.attrs) && pass == Pass::fwd)
      ET_REQUIRE(p.src[0].numel() / p.src[0][1] > 1,
                 "node '{}': BatchNorm needs more than one value per channel to train (input {}); use a larger "
                 "batch or --freeze-bn", n.name, p.src[0].str());
    return p;
  }

  Step& add_kernel_step(int node_id, Pass pass, StepRefs refs, bool weight_grads_in_bwd_data = false) {
    const Node& n = g_.nodes[node_id];
    KernelProblem prob = problem_of(n, pass, weight_grads_in_bwd_data);
    Step s;
    s.kind = StepKind::kernel;
    s.node = node_id;
    s.pass = pass;
    s.name = n.name;
    s.op = std::string(op_name(n.attrs));
    s.problem = problem_string(n.attrs, prob.src, prob.dst);
    s.macs = forward_macs(n.attrs, prob.src, prob.dst);
    s.kernel = select_layout_kernel(n, prob);
    s.src_layouts = prob.src_layout;
    s.dst_layout = prob.dst_layout;
    if (pass == Pass::fwd) propose_param_layouts(n, *s.kernel);
    if (prob.fused_activation != Activation::none)
      s.problem += prob.fused_activation == Activation::relu6 ? "+ReLU6" : "+ReLU";
    s.refs = std::move(refs);
    if (std::size_t bytes = s.kernel->scratch_bytes(); bytes > 0) {
      int b = request(n.name + ".scratch." + std::string(pass_name(pass)), bytes, BufferKind::workspace);
      s.refs.scratch = arena_ref(b, Shape{static_cast<int64_t>(bytes)}, DType::u8);
    }
    plan_.steps.push_back(std::move(s));
    return plan_.steps.back();
  }

  // The kernel for the problem in the chosen layouts (and with its fused activation); when none takes
  // it, the plain unfused problem's kernel, and the node is unfused (if it fused) or else its blocked
  // values are demoted, for the next round.
  std::shared_ptr<const Kernel> select_layout_kernel(const Node& n, KernelProblem& prob) {
    if (!prob.all_plain() || prob.fused_activation != Activation::none) {
      std::string reasons;
      if (std::unique_ptr<Kernel> k = try_select_kernel(prob, o_.backend, reasons)) return k;
      if (verbose_level() >= 2)
        std::fprintf(stderr, "compile,%s,%s,%s,%s\n", prob.fused_activation != Activation::none ? "unfuse" : "demote",
                     n.name.c_str(), std::string(pass_name(prob.pass)).c_str(), reasons.c_str());
      if (prob.fused_activation != Activation::none) {
        new_unfused_.push_back(node_id_of(n));
      } else {
        std::vector<int> values = n.inputs;
        values.push_back(n.output);
        for (int v : values)
          if (value_layout_[v] != Layout::plain) new_demotions_.push_back(v);
        for (int w : n.params)
          if (!param_layouts_[static_cast<size_t>(w)].plain()) new_plain_params_.push_back(w);
      }
      prob.src_layout.assign(prob.src.size(), Layout::plain);
      prob.dst_layout = Layout::plain;
      prob.weight_layouts.clear();
      prob.fused_activation = Activation::none;
    }
    return select_kernel(prob, o_.backend);
  }
  int node_id_of(const Node& n) const { return static_cast<int>(&n - g_.nodes.data()); }

  // A row-major parameter of n that n's forward kernel would rather have in another layout.
  void propose_param_layouts(const Node& n, const Kernel& k) {
    if (!o_.blocked_layouts || !o_.blocked_params || o_.backend == "ref") return;
    for (size_t i = 0; i < n.params.size(); ++i) {
      const size_t w = static_cast<size_t>(n.params[i]);
      if (param_plain_[w] || !param_layouts_[w].plain() || param_readers_[w] != 1) continue;
      ParamLayout l = k.preferred_weight_layout(i);
      if (!l.plain() && l.numel() == g_.params[w].shape.numel() && l.dense())
        new_param_layouts_.emplace_back(static_cast<int>(w), std::move(l));
    }
  }

  void add_param_refs(const Node& n, StepRefs& refs) {
    for (int p : n.params) refs.weights.push_back({TensorRef::Space::param, p, g_.params[p].shape, DType::f32});
    for (int s : n.states) refs.state.push_back({TensorRef::Space::state, s, g_.states[s].shape, DType::f32});
  }

  // ---- forward ----
  void emit_forward(int id) {
    const Node& n = g_.nodes[id];
    if (is<FlattenAttrs>(n.attrs)) {  // a view: share the producer's bytes
      value_buffer_[n.output] = value_buffer_[n.inputs[0]];
      return;
    }
    if (fused_into_[static_cast<size_t>(id)] >= 0) return;  // computed by its producer's step
    StepRefs refs;
    for (int v : n.inputs) refs.src.push_back(value_ref(v));
    const int alias = in_place_input(n);
    value_buffer_[n.output] = alias >= 0 ? value_buffer_[alias] : request(n.name, n.output, BufferKind::activation);
    value_buffer_[written_value(id)] = value_buffer_[n.output];
    refs.dst = value_ref(written_value(id));
    add_param_refs(n, refs);
    std::vector<Shape> src_shapes;
    for (int v : n.inputs) src_shapes.push_back(plan_.value_shapes[v]);
    for (const AuxSpec& a : aux_specs(n.attrs, src_shapes, plan_.value_shapes[n.output], kernel_training(n))) {
      int b = request(n.name + "." + a.suffix, static_cast<size_t>(a.shape.numel()) * dtype_size(a.dtype),
                      BufferKind::saved_aux);
      aux_buffers_[id].push_back({TensorRef::Space::arena, b, a.shape, a.dtype});
      refs.aux.push_back(arena_ref(b, a.shape, a.dtype));
    }
    add_kernel_step(id, Pass::fwd, std::move(refs));
    if (id == g_.loss_node()) {
      plan_.loss_buffer = value_buffer_[n.output];
      plan_.prediction_buffer = aux_buffers_[id].at(0).index;
      plan_.logits_buffer = value_buffer_[n.inputs[0]];
    }
  }

  // ---- backward ----
  void add_reads(const Node& n, int id, Pass pass, StepRefs& refs) {
    BackwardReads r = backward_reads(n.attrs, pass);
    if (r.src) for (int v : n.inputs) refs.src.push_back(value_ref(v));
    if (r.dst || fused_act_[static_cast<size_t>(id)] >= 0) refs.dst = value_ref(written_value(id));
    if (r.aux) for (const TensorRef& a : aux_buffers_[id]) refs.aux.push_back(arena_ref(a.index, a.shape, a.dtype));
    add_param_refs(n, refs);
  }

  void emit_backward(int id) {
    const Node& n = g_.nodes[id];
    const bool is_loss = id == g_.loss_node();
    if (!requires_grad_[n.output]) return;
    if (!is_loss && diff_buffer_[n.output] < 0) return;  // output does not reach the loss
    std::vector<int> grad_inputs;
    for (size_t i = 0; i < n.inputs.size(); ++i)
      if (requires_grad_[n.inputs[i]]) grad_inputs.push_back(static_cast<int>(i));

    if (fused_into_[static_cast<size_t>(id)] >= 0) {  // the producer's backward applies the mask
      diff_buffer_[n.inputs[0]] = diff_buffer_[n.output];
      return;
    }
    if (is<FlattenAttrs>(n.attrs)) {
      if (grad_inputs.empty()) return;
      int in = n.inputs[0];
      if (diff_buffer_[in] < 0) {
        diff_buffer_[in] = diff_buffer_[n.output];
      } else {
        emit_accumulate(in, diff_buffer_[n.output]);
      }
      return;
    }

    // Weight gradients of this node: one buffer per trainable parameter.
    std::vector<std::pair<int, int>> grads;  // (param, buffer)
    auto weight_grad_refs = [&](StepRefs& refs) {
      refs.diff_weights.resize(n.params.size());
      for (size_t i = 0; i < n.params.size(); ++i) {
        int p = n.params[i];
        if (!plan_.trainable[p]) continue;
        int b = request("d(" + g_.params[p].name + ")", static_cast<size_t>(g_.params[p].shape.numel()) * 4,
                        BufferKind::weight_grad);
        refs.diff_weights[i] = arena_ref(b, g_.params[p].shape, DType::f32);
        plan_.param_grad_buffers[static_cast<size_t>(p)] = b;
        grads.emplace_back(p, b);
      }
    };
    const bool fused = node_trains_[id] && !grad_inputs.empty() && fuses_weight_grads(n.attrs);

    if (!grad_inputs.empty()) {
      StepRefs refs;
      add_reads(n, id, Pass::bwd_data, refs);
      if (fused) {  // bwd_data also reads what bwd_weights would have read
        BackwardReads w = backward_reads(n.attrs, Pass::bwd_weights), d = backward_reads(n.attrs, Pass::bwd_data);
        ET_ASSERT((!w.src || d.src) && (!w.dst || d.dst) && (!w.aux || d.aux));
        weight_grad_refs(refs);
      }
      if (!is_loss) refs.diff_dst = diff_ref(n.output, diff_buffer_[n.output]);
      refs.diff_src.resize(n.inputs.size());
      std::vector<std::pair<int, int>> pending;  // (value, temp buffer) to accumulate after the step
      for (int i : grad_inputs) {
        int v = n.inputs[i];
        if (diff_buffer_[v] < 0 && o_.backward_in_place && backward_in_place(n.attrs)) {  // diff_src over diff_dst
          diff_buffer_[v] = diff_buffer_[n.output];
          refs.diff_src[i] = diff_ref(v, diff_buffer_[v]);
        } else if (diff_buffer_[v] < 0) {
          diff_buffer_[v] = request("d(" + g_.values[v].name + ")", v, BufferKind::activation_grad);
          refs.diff_src[i] = diff_ref(v, diff_buffer_[v]);
        } else {
          int tmp = request("d(" + g_.values[v].name + ")." + n.name, v, BufferKind::activation_grad);
          refs.diff_src[i] = diff_ref(v, tmp);
          pending.emplace_back(v, tmp);
        }
      }
      add_kernel_step(id, Pass::bwd_data, std::move(refs), fused);
      for (auto [v, tmp] : pending) emit_accumulate(v, tmp);
    }

    if (node_trains_[id] && !fused) {
      StepRefs refs;
      add_reads(n, id, Pass::bwd_weights, refs);
      refs.diff_dst = diff_ref(n.output, diff_buffer_[n.output]);
      weight_grad_refs(refs);
      add_kernel_step(id, Pass::bwd_weights, std::move(refs));
    }
    for (auto [p, b] : grads) emit_update(p, b);
  }

  // diff(value) += the partial gradient in from_buffer (a value with several consumers).
  void emit_accumulate(int value, int from_buffer) {
    Step s;
    s.kind = StepKind::accumulate;
    s.name = g_.values[value].name;
    s.op = "Accumulate";
    s.problem = plan_.value_shapes[value].str();
    s.refs.dst = diff_ref(value, diff_buffer_[value]);
    s.refs.src.push_back(diff_ref(value, from_buffer));
    plan_.steps.push_back(std::move(s));
  }

  void emit_update(int param, int grad_buffer) {
    Step s;
    s.kind = StepKind::update;
    s.param = param;
    s.name = g_.params[param].name;
    s.op = "Update";
    s.problem = g_.params[param].shape.str();
    const Shape& shape = g_.params[param].shape;
    s.refs.weights.push_back({TensorRef::Space::param, param, shape, DType::f32});
    s.refs.diff_weights.push_back(arena_ref(grad_buffer, shape, DType::f32));
    for (int k = 0; k < plan_.opt_slots; ++k)
      s.refs.state.push_back({TensorRef::Space::opt_state, param * 2 + k, shape, DType::f32});
    plan_.steps.push_back(std::move(s));
  }

  // ---- memory ----
  void finish() {
    int last = std::max(0, next_step() - 1);
    // The executor reads the loss and predictions after the last step. The input batch lives until its
    // last reader (with a frozen stem, the first step), so its bytes are reused after that.
    for (int b : {plan_.loss_buffer, plan_.prediction_buffer, plan_.labels_buffer})
      if (b >= 0) touch(b, last);
    for (BufferRequest& r : plan_.buffers) {
      if (r.first_step < 0) r.first_step = r.last_step = 0;  // never touched: keep it tiny and harmless
    }
    plan_.memory = plan_memory(plan_.buffers, o_.planner);
    plan_.value_buffers = value_buffer_;
    plan_.grad_buffers = diff_buffer_;
    plan_.value_layouts = value_layout_;
    plan_.param_layouts = param_layouts_;
    PlanBreakdown& m = plan_.breakdown;
    for (size_t p = 0; p < g_.params.size(); ++p) {
      std::size_t bytes = static_cast<size_t>(g_.params[p].shape.numel()) * 4;
      m.weights += bytes;
      if (plan_.trainable[p]) m.optimizer_state += bytes * static_cast<size_t>(plan_.opt_slots);
    }
    for (const Slot& s : g_.states) m.state += static_cast<size_t>(s.shape.numel()) * 4;
    for (const BufferRequest& r : plan_.buffers) m.by_kind[static_cast<int>(r.kind)] += r.bytes;
    m.arena = plan_.memory.arena_bytes;
    // The reference GEMM's packing buffers are made per thread on first use: they exist only where a
    // reference convolution or linear layer runs.
    bool reference_gemm = false;
    for (const Step& s : plan_.steps)
      reference_gemm |= s.kernel && s.kernel->impl_name() == "ref" && (s.op == "Conv2d" || s.op == "Linear");
    m.kernel_workspace = reference_gemm ? persistent_workspace_bytes(omp_get_max_threads()) : 0;
    for (const Step& s : plan_.steps) {
      if (s.kind != StepKind::kernel) continue;
      if (s.pass == Pass::fwd) plan_.forward_macs += s.macs;
      plan_.trained_macs += s.macs;
    }
  }

  const Graph& g_;
  const CompileOptions& o_;
  const std::vector<bool>& demoted_;
  const std::vector<bool>& unfused_;
  const std::vector<ParamLayout>& param_layouts_;
  const std::vector<bool>& param_plain_;
  std::vector<int> new_demotions_, new_unfused_, new_plain_params_;
  std::vector<std::pair<int, ParamLayout>> new_param_layouts_;
  std::vector<int> param_readers_;  // per parameter: nodes reading it
  std::vector<int> fused_act_, fused_into_;  // per node: the activation fused into it / the node it is fused into
  std::vector<Layout> value_layout_;
  Plan plan_;
  std::vector<bool> node_trains_, requires_grad_, read_by_backward_;
  std::vector<std::vector<int>> consumers_;
  std::vector<int> value_buffer_, diff_buffer_;
  std::vector<std::vector<TensorRef>> aux_buffers_;
};

// Compile rounds: each builds the whole plan with the decisions so far (demoted layouts, unfused
// activations, parameter layouts) and reports new ones; the first round with none is the plan.
Plan compile_rounds(const Graph& graph, const CompileOptions& o) {
  Decisions d;
  d.demoted.assign(graph.values.size(), false);
  d.unfused.assign(graph.nodes.size(), false);
  d.param_layouts.assign(graph.params.size(), ParamLayout{});
  d.param_plain.assign(graph.params.size(), false);
  for (int round = 1;; ++round) {
    PlanBuilder builder(graph, o, d);
    Plan plan = builder.build();
    if (builder.final()) {
      plan.compile_rounds = round;
      return plan;
    }
    for (int v : builder.new_demotions()) d.demoted[static_cast<size_t>(v)] = true;
    for (int n : builder.new_unfused()) d.unfused[static_cast<size_t>(n)] = true;
    for (const auto& [w, l] : builder.new_param_layouts()) d.param_layouts[static_cast<size_t>(w)] = l;
    for (int w : builder.new_plain_params()) {
      d.param_layouts[static_cast<size_t>(w)] = ParamLayout{};
      d.param_plain[static_cast<size_t>(w)] = true;
    }
  }
}

}  // namespace

Plan compile(const Graph& graph, const CompileOptions& options) {
  ET_REQUIRE(graph.loss >= 0 && graph.input >= 0 && graph.labels >= 0, "the model has no loss: build it with a classifier");
  ET_REQUIRE(options.batch > 0, "batch size must be positive, got {}", options.batch);
  validate_backend(options.backend);
  CompileOptions o = options;
  Plan plan = compile_rounds(graph, o);
  const auto over_budget = [&](const Plan& p) { return o.memory_budget > 0 && p.breakdown.total() > o.memory_budget; };
  if (over_budget(plan) && runs_winograd(plan)) {
    // Winograd's tile buffers are the memory a faster kernel choice adds: a tight budget drops them
    // (direct algorithms only) before giving up.
    o.winograd = false;
    Plan direct = compile_rounds(graph, o);
    if (direct.breakdown.total() < plan.breakdown.total()) {
      if (verbose_level() >= 1)
        std::fprintf(stderr, "compile,memory budget %s: Winograd convolutions dropped (plan %s -> %s)\n",
                     human_bytes(o.memory_budget).c_str(), human_bytes(plan.breakdown.total()).c_str(),
                     human_bytes(direct.breakdown.total()).c_str());
      plan = std::move(direct);
    }
  }
  if (over_budget(plan)) {
    const PlanBreakdown& m = plan.breakdown;
    fail("memory budget {} is impossible for this configuration: the training step needs {} (weights {}, "
         "optimizer state {}, planned activations/gradients/workspace {}, kernel workspace {}); lower the batch size ({} now) or "
         "train fewer layers (e.g. Trainable::last(2), --trainable last:2)",
         human_bytes(o.memory_budget), human_bytes(m.total()), human_bytes(m.weights), human_bytes(m.optimizer_state),
         human_bytes(m.arena), human_bytes(m.kernel_workspace), o.batch);
  }
  return plan;
}

}  // namespace edgetrain
