// Memory planners: place every request at an offset in one arena so that buffers live at the same
// time never overlap. greedy-by-size (largest first, lowest fitting offset) reuses memory across
// lifetimes; no-reuse gives every buffer its own bytes (EDGETRAIN_NO_PLANNER=1) as a reference.
#pragma once
#include <vector>

#include "memory/buffer_request.hpp"

namespace edgetrain {

enum class PlannerKind { greedy_by_size, no_reuse };

struct MemoryPlan {
  std::vector<std::size_t> offsets;  // per request
  std::size_t arena_bytes = 0;
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests, PlannerKind kind);
// True iff no two buffers live at the same step share a byte and all fit in the arena (tests use it).
bool plan_is_valid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan);

}  // namespace edgetrain
