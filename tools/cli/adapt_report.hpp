// What `edgetrain adapt` records per frame of its stream, and the reports made of it: a table per
// phase, the JSON report and the timeline SVG.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgetrain/adapter.hpp"

namespace edgetrain::cli {

struct FrameRecord {
  int32_t truth = 0;
  int32_t served = 0, unadapted = 0, masked = 0, em = 0;  // the adapter's answer and the baselines'
  bool by_original = false;
  bool during_adaptation = false;
  float ms = 0;        // the adapter's observe()
  int64_t params = 0;  // of the model serving
};

struct StreamLog {
  std::vector<std::string> phases;               // each phase described ("0,1: 1500 frames")
  std::vector<std::vector<FrameRecord>> frames;  // per phase
};

void print_adapt_report(const StreamLog& log, const std::vector<AdaptationReport>& reports);
nlohmann::json adapt_json(const StreamLog& log, const std::vector<AdaptationReport>& reports, const std::string& stream,
                          double labels, const std::string& arch);
// Accuracy (adapter and unadapted, over a sliding window of frames), observe() latency and the
// serving model's parameters over the stream, phases and accepted adaptations marked.
std::string adapt_timeline_svg(const StreamLog& log, const std::vector<AdaptationReport>& reports,
                               const std::string& arch);

}  // namespace edgetrain::cli
