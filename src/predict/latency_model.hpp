// LatencyModel: predicts a step's time from its StepFeatures with gradient-boosted trees (XGBoost,
// Debian libxgboost-dev). The trees learn the step's *throughput* — log(time / work) — not its time,
// so a problem larger than any seen in calibration extrapolates at the largest problems' throughput
// (time grows with work) instead of saturating at the largest time seen. Only this file's .cpp
// includes XGBoost.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "predict/step_features.hpp"

namespace edgetrain::predict {

struct StepSample {
  StepFeatures features;
  double ms = 0;  // measured
};

struct FitOptions {
  int rounds = 400;
  int max_depth = 7;
  double learning_rate = 0.08;
  double subsample = 0.8;
  uint64_t seed = 1;
};

class LatencyModel {
 public:
  LatencyModel() = default;
  static LatencyModel fit(const std::vector<StepSample>& samples, const FitOptions& options = {});
  static LatencyModel from_json(const nlohmann::json& j);

  bool empty() const { return !booster_; }
  std::vector<double> predict_ms(const std::vector<StepFeatures>& steps) const;
  nlohmann::json to_json() const;

 private:
  std::shared_ptr<void> booster_;  // BoosterHandle
};

}  // namespace edgetrain::predict
