// InferenceSession: a forward plan compiled once for a largest batch, run on caller memory.
#include "edgetrain/inference_session.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "api/convert.hpp"
#include "api/handles.hpp"
#include "api/input.hpp"
#include "core/check.hpp"
#include "compile/compile.hpp"
#include "runtime/executor.hpp"

namespace edgetrain {

struct InferenceSession::Impl {
  std::shared_ptr<detail::ModelState> state;
  InferenceOptions options;
  Plan plan;
  std::unique_ptr<Executor> exec;
  int64_t compiles = 0;

  Impl(std::shared_ptr<detail::ModelState> s, const InferenceOptions& o) : state(std::move(s)), options(o) {
    compile_for(o.batch);
  }

  void compile_for(int64_t batch) {
    Plan p = compile(state->net.graph, api::inference_compile_options(options.engine, batch));
    exec.reset();  // the executor refers to the plan it replaces
    plan = std::move(p);
    exec = std::make_unique<Executor>(plan, state->net.params, nullptr);
    std::fill_n(exec->input_labels(), plan.batch, 0);  // labels only feed the unused loss
    options.batch = batch;
    ++compiles;
  }

  const float* run(const float* images, int64_t n) {
    ET_REQUIRE(images != nullptr, "run: images must not be null");
    ET_REQUIRE(n >= 1, "run: the number of images must be at least 1, got {}", n);
    ET_REQUIRE(n <= plan.batch, "run: {} images, but the session takes 1 to {} (reserve() a larger batch)", n,
               plan.batch);
    float* dst = exec->input_images();
    const int64_t sample = plan.value_shapes[static_cast<size_t>(state->net.graph.input)].numel_from(1);
    api::copy_input(state->net, options.normalize_inputs, images, n, dst);
    // Rows past n are computed too (samples are independent in inference): keep them finite.
    std::memset(dst + n * sample, 0, static_cast<size_t>((plan.batch - n) * sample) * sizeof(float));
    exec->run();
    return reinterpret_cast<const float*>(exec->buffer_data(plan.logits_buffer));
  }
};

InferenceSession::InferenceSession(const Model& model, const InferenceOptions& options)
    : impl_(std::make_unique<Impl>(model.shared_state(), options)) {}
InferenceSession::InferenceSession(InferenceSession&&) noexcept = default;
InferenceSession& InferenceSession::operator=(InferenceSession&&) noexcept = default;
InferenceSession::~InferenceSession() = default;

const float* InferenceSession::run(const float* images, int64_t n) { return impl_->run(images, n); }

void InferenceSession::run(const float* images, int64_t n, float* logits) {
  ET_REQUIRE(logits != nullptr, "run: logits must not be null");
  const float* out = impl_->run(images, n);
  std::memcpy(logits, out, static_cast<size_t>(n * num_classes()) * sizeof(float));
}

std::vector<float> InferenceSession::logits(const float* images, int64_t n) {
  const float* out = impl_->run(images, n);
  return std::vector<float>(out, out + n * num_classes());
}

std::vector<float> InferenceSession::probabilities(const float* images, int64_t n) {
  std::vector<float> p = logits(images, n);
  const int64_t k = num_classes();
  for (int64_t i = 0; i < n; ++i) {
    float* row = p.data() + i * k;
    const float max = *std::max_element(row, row + k);
    double sum = 0;
    for (int64_t j = 0; j < k; ++j) sum += row[j] = std::exp(row[j] - max);
    for (int64_t j = 0; j < k; ++j) row[j] = static_cast<float>(row[j] / sum);
  }
  return p;
}

std::vector<std::vector<Prediction>> InferenceSession::top_k(const float* images, int64_t n, int k) {
  const int64_t classes = num_classes();
  ET_REQUIRE(k >= 1 && k <= classes, "top_k: k must be in 1..{}, got {}", classes, k);
  const std::vector<float> p = probabilities(images, n);
  std::vector<std::vector<Prediction>> out(static_cast<size_t>(n));
  std::vector<int32_t> order(static_cast<size_t>(classes));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p.data() + i * classes;
    for (int32_t j = 0; j < classes; ++j) order[static_cast<size_t>(j)] = j;
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
      return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    for (int j = 0; j < k; ++j) out[static_cast<size_t>(i)].push_back({order[static_cast<size_t>(j)], row[order[static_cast<size_t>(j)]]});
  }
  return out;
}

void InferenceSession::reserve(int64_t batch) {
  ET_REQUIRE(batch > 0, "reserve: batch must be positive, got {}", batch);
  if (batch > impl_->plan.batch) impl_->compile_for(batch);
}
int64_t InferenceSession::max_batch() const { return impl_->plan.batch; }
int64_t InferenceSession::num_classes() const { return impl_->plan.num_classes; }
std::vector<int64_t> InferenceSession::input_chw() const {
  const Shape in = impl_->state->net.graph.input_shape();
  return {in[1], in[2], in[3]};
}
MemoryBreakdown InferenceSession::memory() const { return api::to_public(impl_->plan.breakdown); }
PlanSummary InferenceSession::plan() const { return api::summarize(impl_->plan); }
PlanSummary InferenceSession::preview(const Model& model, const InferenceOptions& options) {
  return api::summarize(compile(model.state().net.graph, api::inference_compile_options(options.engine, options.batch)));
}
int64_t InferenceSession::compiles() const { return impl_->compiles; }

}  // namespace edgetrain
