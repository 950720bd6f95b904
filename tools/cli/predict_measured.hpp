// `edgetrain predict --from-bench`: the predictions for runs `edgetrain bench --kernels` measured,
// next to what was measured — the predictor's accuracy on this device. A developer tool over the
// internals, like bench and calibrate (they measure kernels and fit the latency model).
#pragma once
#include <string>
#include <vector>

namespace edgetrain::cli {

int predict_measured(const std::string& profile, const std::vector<std::string>& reports, const std::string& json);

}  // namespace edgetrain::cli
