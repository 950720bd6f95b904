#include "api/precision_schedule.hpp"

#include <string>

#include "api/convert.hpp"
#include "core/check.hpp"

namespace edgetrain::api {

namespace {
std::string sum_name(std::size_t l) { return "#muppet_sum" + std::to_string(l); }
}  // namespace

Precision precision_of(DType t) {
  for (Precision p :
       {Precision::f32, Precision::bf16, Precision::fx8, Precision::fx12, Precision::fx14, Precision::fx16})
    if (activation_type(p) == t) return p;
  ET_ASSERT(!"an activation type without a public precision");
  return Precision::f32;
}

PrecisionDecision to_public(const PolicyDecision& d) {
  return PrecisionDecision{
      d.epoch,      precision_of(d.trained_in), d.estimated, d.diversity, d.max_diversity, d.threshold,
      d.violations, precision_of(d.next)};
}

PrecisionPolicyOptions to_internal(const PrecisionScheduleOptions& o) {
  return PrecisionPolicyOptions{o.resolution, o.violations_to_switch};
}

nlohmann::json policy_json(const PrecisionPolicyState& s) {
  nlohmann::json decisions = nlohmann::json::array();
  for (const PolicyDecision& d : s.decisions)
    decisions.push_back({{"epoch", d.epoch},
                         {"trained_in", dtype_info(d.trained_in).name},
                         {"estimated", d.estimated},
                         {"diversity", d.diversity},
                         {"max_diversity", d.max_diversity},
                         {"threshold", d.threshold},
                         {"violations", d.violations},
                         {"next", dtype_info(d.next).name}});
  return {{"rung", s.rung},
          {"epochs_pooled", s.epochs_pooled},
          {"max_diversity", s.max_diversity},
          {"violations", s.violations},
          {"sum_squares", s.sum_squares},
          {"decisions", decisions}};
}

std::vector<io::NamedTensor> policy_tensors(const PrecisionPolicyState& s) {
  std::vector<io::NamedTensor> t;
  for (std::size_t l = 0; l < s.sums.size(); ++l)
    if (!s.sums[l].empty()) t.push_back({sum_name(l), Shape{static_cast<int64_t>(s.sums[l].size())}, s.sums[l]});
  return t;
}

PrecisionPolicyState policy_state(const nlohmann::json& j, const io::CheckpointData& raw, const std::string& path) {
  const auto type = [](const nlohmann::json& name) {
    return activation_type(parse_precision(name.get<std::string>()));
  };
  PrecisionPolicyState s;
  try {
    s.rung = j.at("rung");
    s.epochs_pooled = j.at("epochs_pooled");
    s.max_diversity = j.at("max_diversity");
    s.violations = j.at("violations");
    s.sum_squares = j.at("sum_squares").get<std::vector<double>>();
    for (const nlohmann::json& d : j.at("decisions"))
      s.decisions.push_back(PolicyDecision{d.at("epoch"), type(d.at("trained_in")), d.at("estimated"),
                                           d.at("diversity"), d.at("max_diversity"), d.at("threshold"),
                                           d.at("violations"), type(d.at("next"))});
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the precision schedule's state is damaged ({})", path, e.what());
  }
  s.sums.resize(s.sum_squares.size());
  for (std::size_t l = 0; l < s.sums.size(); ++l)
    if (const io::NamedTensor* t = io::find_tensor(raw, sum_name(l))) s.sums[l] = t->data;
  return s;
}

}  // namespace edgetrain::api
