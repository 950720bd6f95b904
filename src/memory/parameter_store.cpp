#include "memory/parameter_store.hpp"

#include <cmath>
#include <random>

namespace edgetrain {

namespace {
// The bytes of one f32 slot, rounded up to 64 so every tensor starts on a cache line.
std::size_t slot_bytes(const Slot& s) {
  const std::size_t bytes = static_cast<size_t>(s.shape.numel()) * dtype_size(DType::f32);
  return (bytes + 63) / 64 * 64;
}
}  // namespace

ParameterStore::ParameterStore(const Graph& g, uint64_t seed) {
  std::size_t total = 0;
  for (const Slot& s : g.params) total += slot_bytes(s);
  for (const Slot& s : g.states) total += slot_bytes(s);
  storage_.resize(total);
  std::byte* p = storage_.data();
  for (const Slot& s : g.params) {
    params_.emplace_back(p, s.shape, DType::f32);
    p += slot_bytes(s);
  }
  for (const Slot& s : g.states) {
    states_.emplace_back(p, s.shape, DType::f32);
    p += slot_bytes(s);
  }
  layouts_.resize(g.params.size());
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < g.params.size(); ++i) {
    const Slot& s = g.params[i];
    ParamSpec spec = param_specs(g.nodes[s.node].attrs)[s.spec];
    float* d = params_[i].as<float>();
    int64_t n = s.shape.numel();
    // kaiming_uniform(a = sqrt(5)) and the bias rule both give bound 1/sqrt(fan_in).
    double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(spec.fan_in, 1)));
    std::uniform_real_distribution<double> u(-bound, bound);
    for (int64_t j = 0; j < n; ++j) {
      switch (spec.init) {
        case ParamInit::kaiming_uniform:
        case ParamInit::fan_in_uniform: d[j] = static_cast<float>(u(rng)); break;
        case ParamInit::ones: d[j] = 1.f; break;
        case ParamInit::zeros: d[j] = 0.f; break;
      }
    }
  }
  for (size_t i = 0; i < g.states.size(); ++i) {
    const Slot& s = g.states[i];
    float init = state_specs(g.nodes[s.node].attrs)[s.spec].init;
    float* d = states_[i].as<float>();
    for (int64_t j = 0; j < s.shape.numel(); ++j) d[j] = init;
  }
}

TensorView ParameterStore::param(int id) const {
  set_layout(id, ParamLayout{});
  return params_[static_cast<size_t>(id)];
}

void ParameterStore::set_layout(int id, const ParamLayout& l) const {
  std::lock_guard<std::mutex> lock(*layout_mutex_);
  convert_tracked(layouts_[static_cast<size_t>(id)], l, {&params_[static_cast<size_t>(id)]});
}

void ParameterStore::set_layouts(const std::vector<ParamLayout>& layouts) const {
  std::lock_guard<std::mutex> lock(*layout_mutex_);
  for (size_t p = 0; p < layouts.size(); ++p) convert_tracked(layouts_[p], layouts[p], {&params_[p]});
}

std::size_t ParameterStore::param_bytes() const {
  std::size_t b = 0;
  for (const auto& v : params_) b += v.bytes();
  return b;
}
std::size_t ParameterStore::state_bytes() const {
  std::size_t b = 0;
  for (const auto& v : states_) b += v.bytes();
  return b;
}
int64_t ParameterStore::param_count() const {
  int64_t n = 0;
  for (const auto& v : params_) n += v.numel();
  return n;
}

}  // namespace edgetrain
