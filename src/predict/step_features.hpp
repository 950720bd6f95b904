// What the latency model knows about one step of a plan: a fixed-length numeric description taken
// from the step's tensors (shapes, kernel window, groups, stride), its op, pass and implementation,
// and the amount of work it does. Nothing here looks at the graph or runs anything.
#pragma once
#include <array>
#include <string>

#include "runtime/plan.hpp"

namespace edgetrain::predict {

inline constexpr int kNumStepFeatures = 19;

struct StepFeatures {
  std::array<float, kNumStepFeatures> x{};  // see feature_names()
  double work = 1;  // FLOPs (2 x MACs) for compute steps, bytes touched for the others; > 0
};

StepFeatures step_features(const Step& step);
int impl_code(const Step& step);  // the "impl" feature: which implementation runs the step
inline constexpr int kImplOneDnnGemm = 3;
const std::array<std::string, kNumStepFeatures>& feature_names();

}  // namespace edgetrain::predict
