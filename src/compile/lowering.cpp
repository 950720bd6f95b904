#include "compile/lowering.hpp"

#include "core/check.hpp"

namespace edgetrain::compiler {

namespace {

class Lowering {
 public:
  Lowering(const CompileContext& c, const Layouts& l, const Aliasing& a, KernelChoice& k)
      : c_(c), g_(c.graph), l_(l), alias_(a), kernels_(k) {}

  Plan run() {
    plan_.training = c_.options.training;
    plan_.batch = c_.options.batch;
    plan_.num_classes = c_.facts.num_classes;
    plan_.value_shapes = c_.facts.shapes;
    plan_.trainable = c_.grads.trainable;
    plan_.opt_slots = optim::state_slots(c_.options.optimizer);
    plan_.param_grad_buffers.assign(g_.params.size(), -1);
    value_buffer_.assign(g_.values.size(), -1);
    diff_buffer_.assign(g_.values.size(), -1);
    aux_refs_.assign(g_.nodes.size(), {});
    plan_.input_buffer = value_buffer_[at(g_.input)] = request("input", g_.input, BufferKind::io);
    plan_.labels_buffer = value_buffer_[at(g_.labels)] = request("labels", g_.labels, BufferKind::io);
    touch(plan_.input_buffer, 0);
    touch(plan_.labels_buffer, 0);
    for (int n = 0; n < static_cast<int>(g_.nodes.size()); ++n) emit_forward(n);
    if (c_.options.training)
      for (int n = static_cast<int>(g_.nodes.size()) - 1; n >= 0; --n) emit_backward(n);
    // The executor reads the loss and predictions after the last step.
    const int last = std::max(0, next_step() - 1);
    for (int b : {plan_.loss_buffer, plan_.prediction_buffer, plan_.labels_buffer})
      if (b >= 0) touch(b, last);
    plan_.value_buffers = value_buffer_;
    plan_.grad_buffers = diff_buffer_;
    plan_.value_layouts = l_.values;
    plan_.param_layouts = l_.params;
    return std::move(plan_);
  }

 private:
  static size_t at(int i) { return static_cast<size_t>(i); }

  // ---- buffers ----
  int request(const std::string& label, std::size_t bytes, BufferKind kind) {
    plan_.buffers.push_back({label, bytes, 64, -1, -1, kind});
    return static_cast<int>(plan_.buffers.size()) - 1;
  }
  int request(const std::string& label, int value, BufferKind kind) {
    const DType t =
        kind == BufferKind::activation_grad ? c_.precisions.gradients[at(value)] : c_.precisions.values[at(value)];
    return request(label, storage_bytes(static_cast<size_t>(storage_numel_of(value)), t), kind);
  }
  // Elements the value (and its gradient) stores in its layout, padding lanes included.
  int64_t storage_numel_of(int value) const {
    return storage_numel(c_.facts.shapes[at(value)], l_.values[at(value)]);
  }
  void touch(int buffer, int step) {
    BufferRequest& r = plan_.buffers[at(buffer)];
    r.first_step = r.first_step < 0 ? step : std::min(r.first_step, step);
    r.last_step = std::max(r.last_step, step);
  }
  int next_step() const { return static_cast<int>(plan_.steps.size()); }
  TensorRef arena_ref(int buffer, const Shape& shape, DType dtype) {
    touch(buffer, next_step());
    return {TensorRef::Space::arena, buffer, shape, dtype};
  }
  TensorRef value_ref(int value) {
    return arena_ref(value_buffer_[at(value)], c_.facts.shapes[at(value)], c_.precisions.values[at(value)]);
  }
  TensorRef diff_ref(int value, int buffer) {
    return arena_ref(buffer, c_.facts.shapes[at(value)], c_.precisions.gradients[at(value)]);
  }
  void add_param_refs(const Node& n, StepRefs& refs) const {
    for (int p : n.params) refs.weights.push_back({TensorRef::Space::param, p, g_.params[at(p)].shape, DType::f32});
    for (int s : n.states) refs.state.push_back({TensorRef::Space::state, s, g_.states[at(s)].shape, DType::f32});
  }

  void add_kernel_step(StepId id, StepRefs refs) {
    const Node& n = g_.nodes[at(id.node)];
    const KernelProblem prob = problem_of(c_, l_, id);
    Step s;
    s.kind = StepKind::kernel;
    s.node = id.node;
    s.pass = id.pass;
    s.name = n.name;
    s.op = std::string(op_name(n.attrs));
    s.problem = problem_string(n.attrs, prob.src, prob.dst);
    if (prob.fused_activation != Activation::none)
      s.problem += "+" + std::string(activation_name(prob.fused_activation));
    s.macs = forward_macs(n.attrs, prob.src, prob.dst);
    s.kernel = kernels_.choose(id, prob);
    s.src_layouts = prob.src_layout;
    s.dst_layout = prob.dst_layout;
    s.refs = std::move(refs);
    if (std::size_t bytes = s.kernel->scratch_bytes(); bytes > 0) {
      const int b = request(n.name + ".scratch." + std::string(pass_name(id.pass)), bytes, BufferKind::workspace);
      s.refs.scratch = arena_ref(b, Shape{static_cast<int64_t>(bytes)}, DType::u8);
    }
    plan_.steps.push_back(std::move(s));
  }

  // ---- forward ----
  void emit_forward(int id) {
    const Node& n = g_.nodes[at(id)];
    if (is_view(n.attrs)) {  // share the producer's bytes
      value_buffer_[at(n.output)] = value_buffer_[at(n.inputs[0])];
      return;
    }
    if (l_.fusion.is_fused(id)) return;  // computed by its producer's step
    StepRefs refs;
    for (int v : n.inputs) refs.src.push_back(value_ref(v));
    const int over = alias_.forward_over[at(id)];
    value_buffer_[at(n.output)] =
        over >= 0 ? value_buffer_[at(over)] : request(n.name, n.output, BufferKind::activation);
    const int written = l_.fusion.written_value(g_, id);
    value_buffer_[at(written)] = value_buffer_[at(n.output)];
    refs.dst = value_ref(written);
    add_param_refs(n, refs);
    std::vector<Shape> src_shapes;
    for (int v : n.inputs) src_shapes.push_back(c_.facts.shapes[at(v)]);
    for (const AuxSpec& a : aux_specs(n.attrs, src_shapes, c_.facts.shapes[at(n.output)], kernel_training(c_, id))) {
      const int b = request(n.name + "." + a.suffix, storage_bytes(static_cast<size_t>(a.shape.numel()), a.dtype),
                            BufferKind::saved_aux);
      aux_refs_[at(id)].push_back({TensorRef::Space::arena, b, a.shape, a.dtype});
      refs.aux.push_back(arena_ref(b, a.shape, a.dtype));
    }
    add_kernel_step({id, Pass::fwd}, std::move(refs));
    if (id == g_.loss_node()) {
      plan_.loss_buffer = value_buffer_[at(n.output)];
      plan_.prediction_buffer = aux_refs_[at(id)].at(0).index;
      plan_.logits_buffer = value_buffer_[at(n.inputs[0])];
    }
  }

  // ---- backward ----
  void add_reads(int id, Pass pass, StepRefs& refs) {
    const Node& n = g_.nodes[at(id)];
    const BackwardReads r = backward_reads(n.attrs, pass);
    if (r.src)
      for (int v : n.inputs) refs.src.push_back(value_ref(v));
    if (r.dst || l_.fusion.activation_of[at(id)] >= 0) refs.dst = value_ref(l_.fusion.written_value(g_, id));
    if (r.aux)
      for (const TensorRef& a : aux_refs_[at(id)]) refs.aux.push_back(arena_ref(a.index, a.shape, a.dtype));
    add_param_refs(n, refs);
  }

  // One gradient buffer per trainable parameter of the node; their updates follow the node's steps.
  void add_weight_grad_refs(const Node& n, StepRefs& refs) {
    refs.diff_weights.resize(n.params.size());
    for (size_t i = 0; i < n.params.size(); ++i) {
      const int p = n.params[i];
      if (!plan_.trainable[at(p)]) continue;
      const Shape& shape = g_.params[at(p)].shape;
      const DType t = c_.precisions.weight_gradients;
      const int b = request("d(" + g_.params[at(p)].name + ")", static_cast<size_t>(shape.numel()) * dtype_size(t),
                            BufferKind::weight_grad);
      refs.diff_weights[i] = arena_ref(b, shape, t);
      plan_.param_grad_buffers[at(p)] = b;
      pending_updates_.emplace_back(p, b);
    }
  }

  // A view or fused activation: its input's gradient is its output's.
  void pass_gradient_through(int input, int output) {
    if (diff_buffer_[at(input)] < 0) {
      diff_buffer_[at(input)] = diff_buffer_[at(output)];
    } else {
      emit_accumulate(input, diff_buffer_[at(output)]);
    }
  }

  void emit_backward(int id) {
    const Node& n = g_.nodes[at(id)];
    const NodeBackward& b = c_.grads.nodes[at(id)];
    if (!b.runs) return;
    if (l_.fusion.is_fused(id) || is_view(n.attrs)) {
      if (!b.grad_inputs.empty()) pass_gradient_through(n.inputs[0], n.output);
      return;
    }
    pending_updates_.clear();
    if (b.bwd_data) emit_bwd_data(id, b);
    if (b.bwd_weights) {
      StepRefs refs;
      add_reads(id, Pass::bwd_weights, refs);
      refs.diff_dst = diff_ref(n.output, diff_buffer_[at(n.output)]);
      add_weight_grad_refs(n, refs);
      add_kernel_step({id, Pass::bwd_weights}, std::move(refs));
    }
    for (auto [p, buffer] : pending_updates_) emit_update(p, buffer);
  }

  void emit_bwd_data(int id, const NodeBackward& b) {
    const Node& n = g_.nodes[at(id)];
    StepRefs refs;
    add_reads(id, Pass::bwd_data, refs);
    if (b.weight_grads_in_bwd_data) {  // bwd_data also reads what bwd_weights would have read
      const BackwardReads w = backward_reads(n.attrs, Pass::bwd_weights), d = backward_reads(n.attrs, Pass::bwd_data);
      ET_ASSERT((!w.src || d.src) && (!w.dst || d.dst) && (!w.aux || d.aux));
      add_weight_grad_refs(n, refs);
    }
    if (id != g_.loss_node()) refs.diff_dst = diff_ref(n.output, diff_buffer_[at(n.output)]);
    refs.diff_src.resize(n.inputs.size());
    std::vector<std::pair<int, int>> partial;  // (value, buffer) to accumulate after the step
    for (int i : b.grad_inputs) {
      const int v = n.inputs[at(i)];
      if (diff_buffer_[at(v)] < 0 && alias_.backward_in_place[at(id)]) {  // diff_src over diff_dst
        diff_buffer_[at(v)] = diff_buffer_[at(n.output)];
        refs.diff_src[at(i)] = diff_ref(v, diff_buffer_[at(v)]);
      } else if (diff_buffer_[at(v)] < 0) {
        diff_buffer_[at(v)] = request("d(" + g_.values[at(v)].name + ")", v, BufferKind::activation_grad);
        refs.diff_src[at(i)] = diff_ref(v, diff_buffer_[at(v)]);
      } else {
        const int tmp = request("d(" + g_.values[at(v)].name + ")." + n.name, v, BufferKind::activation_grad);
        refs.diff_src[at(i)] = diff_ref(v, tmp);
        partial.emplace_back(v, tmp);
      }
    }
    add_kernel_step({id, Pass::bwd_data}, std::move(refs));
    for (auto [v, tmp] : partial) emit_accumulate(v, tmp);
  }

  // diff(value) += the partial gradient in from_buffer (a value with several consumers).
  void emit_accumulate(int value, int from_buffer) {
    Step s;
    s.kind = StepKind::accumulate;
    s.name = g_.values[at(value)].name;
    s.op = "Accumulate";
    s.problem = c_.facts.shapes[at(value)].str();
    // Element-wise over the stored elements (a padded blocked gradient's padding lanes too): flat refs.
    const Shape flat{storage_numel_of(value)};
    const DType t = c_.precisions.gradients[at(value)];
    s.refs.dst = arena_ref(diff_buffer_[at(value)], flat, t);
    s.refs.src.push_back(arena_ref(from_buffer, flat, t));
    plan_.steps.push_back(std::move(s));
  }

  void emit_update(int param, int grad_buffer) {
    const Shape& shape = g_.params[at(param)].shape;
    Step s;
    s.kind = StepKind::update;
    s.param = param;
    s.name = g_.params[at(param)].name;
    s.op = "Update";
    s.problem = shape.str();
    s.refs.weights.push_back({TensorRef::Space::param, param, shape, DType::f32});
    s.refs.diff_weights.push_back(arena_ref(grad_buffer, shape, c_.precisions.weight_gradients));
    for (int k = 0; k < plan_.opt_slots; ++k)
      s.refs.state.push_back({TensorRef::Space::opt_state, param, shape, DType::f32, k});
    plan_.steps.push_back(std::move(s));
  }

  const CompileContext& c_;
  const Graph& g_;
  const Layouts& l_;
  const Aliasing& alias_;
  KernelChoice& kernels_;
  Plan plan_;
  std::vector<int> value_buffer_, diff_buffer_;       // per value
  std::vector<std::vector<TensorRef>> aux_refs_;      // per node: what its forward saved
  std::vector<std::pair<int, int>> pending_updates_;  // (param, gradient buffer) of the node being lowered
};

}  // namespace

Plan lower(const CompileContext& c, const Layouts& layouts, const Aliasing& aliasing, KernelChoice& kernels) {
  return Lowering(c, layouts, aliasing, kernels).run();
}

}  // namespace edgetrain::compiler
