#include "predict/latency_model.hpp"

#include <xgboost/c_api.h>

#include <cmath>
#include <string>

#include "core/check.hpp"

namespace edgetrain::predict {

namespace {

void xgb_check(int rc, const char* what) {
  if (rc != 0) throw Error(fmt::format("latency model: {} failed: {}", what, XGBGetLastError()));
}

std::shared_ptr<void> new_booster(DMatrixHandle* train, bst_ulong count) {
  BoosterHandle h = nullptr;
  xgb_check(XGBoosterCreate(train, count, &h), "XGBoosterCreate");
  return std::shared_ptr<void>(h, [](void* p) { XGBoosterFree(p); });
}

struct Matrix {
  DMatrixHandle h = nullptr;
  Matrix(const std::vector<float>& x, size_t rows) {
    xgb_check(XGDMatrixCreateFromMat(x.data(), rows, kNumStepFeatures, NAN, &h), "XGDMatrixCreateFromMat");
  }
  ~Matrix() { XGDMatrixFree(h); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
};

std::vector<float> rows_of(const std::vector<StepFeatures>& steps) {
  std::vector<float> x;
  x.reserve(steps.size() * kNumStepFeatures);
  for (const StepFeatures& f : steps) x.insert(x.end(), f.x.begin(), f.x.end());
  return x;
}

// log of ms per unit of work, offset so typical targets are near 0.
double target(double ms, double work) { return std::log(std::max(ms, 1e-6) / work) + 20.0; }

}  // namespace

LatencyModel LatencyModel::fit(const std::vector<StepSample>& samples, const FitOptions& o) {
  ET_REQUIRE(samples.size() >= 20, "latency model: {} calibration samples are too few to fit", samples.size());
  std::vector<StepFeatures> features;
  std::vector<float> y, weight;
  for (const StepSample& s : samples) {
    features.push_back(s.features);
    y.push_back(static_cast<float>(target(s.ms, s.features.work)));
    // Relative error in log space treats a 5 us ReLU like a 50 ms convolution; the sum over a plan is
    // dominated by the long steps, so they weigh more (by the square root of their time).
    weight.push_back(static_cast<float>(std::sqrt(std::max(s.ms, 1e-3))));
  }
  Matrix train(rows_of(features), features.size());
  xgb_check(XGDMatrixSetFloatInfo(train.h, "label", y.data(), y.size()), "set labels");
  xgb_check(XGDMatrixSetFloatInfo(train.h, "weight", weight.data(), weight.size()), "set weights");
  LatencyModel m;
  m.booster_ = new_booster(&train.h, 1);
  auto set = [&](const char* k, const std::string& v) { xgb_check(XGBoosterSetParam(m.booster_.get(), k, v.c_str()), k); };
  set("objective", "reg:squarederror");
  set("tree_method", "hist");
  set("max_depth", std::to_string(o.max_depth));
  set("eta", std::to_string(o.learning_rate));
  set("subsample", std::to_string(o.subsample));
  set("min_child_weight", "2");
  set("seed", std::to_string(o.seed));
  set("nthread", "0");
  for (int i = 0; i < o.rounds; ++i) xgb_check(XGBoosterUpdateOneIter(m.booster_.get(), i, train.h), "training round");
  return m;
}

std::vector<double> LatencyModel::predict_ms(const std::vector<StepFeatures>& steps) const {
  ET_REQUIRE(booster_, "latency model: none fitted (run edgetrain calibrate)");
  std::vector<double> ms(steps.size(), 0.0);
  if (steps.empty()) return ms;
  Matrix m(rows_of(steps), steps.size());
  bst_ulong len = 0;
  const float* out = nullptr;
  xgb_check(XGBoosterPredict(booster_.get(), m.h, 0, 0, 0, &len, &out), "XGBoosterPredict");
  ET_ASSERT(len == steps.size());
  for (size_t i = 0; i < steps.size(); ++i) ms[i] = std::exp(static_cast<double>(out[i]) - 20.0) * steps[i].work;
  return ms;
}

nlohmann::json LatencyModel::to_json() const {
  ET_REQUIRE(booster_, "latency model: none fitted");
  bst_ulong len = 0;
  const char* buf = nullptr;
  xgb_check(XGBoosterSaveModelToBuffer(booster_.get(), R"({"format": "json"})", &len, &buf), "save model");
  return nlohmann::json::parse(buf, buf + len);
}

LatencyModel LatencyModel::from_json(const nlohmann::json& j) {
  const std::string text = j.dump();
  LatencyModel m;
  m.booster_ = new_booster(nullptr, 0);
  xgb_check(XGBoosterLoadModelFromBuffer(m.booster_.get(), text.data(), text.size()), "load model");
  return m;
}

}  // namespace edgetrain::predict
