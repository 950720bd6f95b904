#include "memory/planner.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace edgetrain {

std::string_view buffer_kind_name(BufferKind k) {
  switch (k) {
    case BufferKind::io: return "io";
    case BufferKind::activation: return "activations";
    case BufferKind::saved_aux: return "saved_aux";
    case BufferKind::activation_grad: return "activation_grads";
    case BufferKind::weight_grad: return "weight_grads";
    case BufferKind::workspace: return "workspace";
  }
  return "?";
}

namespace {

std::size_t align_up(std::size_t x, std::size_t a) { return (x + a - 1) / a * a; }

MemoryPlan plan_no_reuse(const std::vector<BufferRequest>& req) {
  MemoryPlan plan;
  plan.offsets.resize(req.size());
  std::size_t top = 0;
  for (size_t i = 0; i < req.size(); ++i) {
    top = align_up(top, req[i].alignment);
    plan.offsets[i] = top;
    top += req[i].bytes;
  }
  plan.arena_bytes = align_up(top, 64);
  return plan;
}

MemoryPlan plan_greedy_by_size(const std::vector<BufferRequest>& req) {
  MemoryPlan plan;
  plan.offsets.assign(req.size(), 0);
  std::vector<size_t> order(req.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return req[a].bytes > req[b].bytes; });
  std::vector<size_t> placed;  // indices already placed
  std::vector<std::pair<std::size_t, std::size_t>> busy;  // [begin, end) of time-overlapping placed buffers
  for (size_t i : order) {
    busy.clear();
    for (size_t j : placed)
      if (req[i].overlaps_in_time(req[j]) && req[j].bytes > 0)
        busy.emplace_back(plan.offsets[j], plan.offsets[j] + req[j].bytes);
    std::sort(busy.begin(), busy.end());
    std::size_t offset = 0;
    for (auto [b, e] : busy) {
      offset = align_up(offset, req[i].alignment);
      if (offset + req[i].bytes <= b) break;
      offset = std::max(offset, e);
    }
    offset = align_up(offset, req[i].alignment);
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + req[i].bytes);
    placed.push_back(i);
  }
  plan.arena_bytes = align_up(plan.arena_bytes, 64);
  return plan;
}

}  // namespace

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, PlannerKind kind) {
  return kind == PlannerKind::no_reuse ? plan_no_reuse(requests) : plan_greedy_by_size(requests);
}

bool plan_is_valid(const std::vector<BufferRequest>& req, const MemoryPlan& plan) {
  if (plan.offsets.size() != req.size()) return false;
  for (size_t i = 0; i < req.size(); ++i) {
    if (plan.offsets[i] % req[i].alignment != 0 || plan.offsets[i] + req[i].bytes > plan.arena_bytes) return false;
    for (size_t j = i + 1; j < req.size(); ++j) {
      if (!req[i].overlaps_in_time(req[j]) || req[i].bytes == 0 || req[j].bytes == 0) continue;
      bool disjoint = plan.offsets[i] + req[i].bytes <= plan.offsets[j] || plan.offsets[j] + req[j].bytes <= plan.offsets[i];
      if (!disjoint) return false;
    }
  }
  return true;
}

}  // namespace edgetrain
