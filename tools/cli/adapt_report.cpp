#include "adapt_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

namespace edgetrain::cli {

namespace {

struct Summary {
  int64_t frames = 0;
  double served = 0, unadapted = 0, masked = 0, em = 0;  // accuracies
  double by_original = 0;                                // share of frames the original answered
  double p50_ms = 0, p99_ms = 0, p99_adapting_ms = 0;
};

double percentile(std::vector<float> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

Summary summarise(const std::vector<FrameRecord>& frames) {
  Summary s;
  s.frames = static_cast<int64_t>(frames.size());
  std::vector<float> ms, adapting;
  for (const FrameRecord& f : frames) {
    s.served += f.served == f.truth, s.unadapted += f.unadapted == f.truth;
    s.masked += f.masked == f.truth, s.em += f.em == f.truth, s.by_original += f.by_original;
    ms.push_back(f.ms);
    if (f.during_adaptation) adapting.push_back(f.ms);
  }
  const double n = std::max<double>(1, static_cast<double>(frames.size()));
  s.served /= n, s.unadapted /= n, s.masked /= n, s.em /= n, s.by_original /= n;
  s.p50_ms = percentile(ms, 0.5), s.p99_ms = percentile(ms, 0.99), s.p99_adapting_ms = percentile(adapting, 0.99);
  return s;
}

std::vector<FrameRecord> all_frames(const StreamLog& log) {
  std::vector<FrameRecord> all;
  for (const auto& p : log.frames) all.insert(all.end(), p.begin(), p.end());
  return all;
}

nlohmann::json summary_json(const Summary& s) {
  return {{"frames", s.frames},
          {"accuracy", s.served},
          {"unadapted", s.unadapted},
          {"masked_to_subset", s.masked},
          {"em_prior", s.em},
          {"by_original", s.by_original},
          {"observe_p50_ms", s.p50_ms},
          {"observe_p99_ms", s.p99_ms},
          {"observe_p99_while_adapting_ms", s.p99_adapting_ms}};
}

}  // namespace

void print_adapt_report(const StreamLog& log, const std::vector<AdaptationReport>& reports) {
  fmt::print("{:<34} {:>7} {:>9} {:>10} {:>8} {:>8} {:>9} {:>8} {:>8}\n", "phase", "frames", "adapter", "unadapted",
             "masked", "EM", "original", "p50 ms", "p99 ms");
  auto row = [](const std::string& name, const Summary& s) {
    fmt::print("{:<34} {:>7} {:>8.1f}% {:>9.1f}% {:>7.1f}% {:>7.1f}% {:>8.1f}% {:>8.2f} {:>8.2f}\n", name, s.frames,
               100 * s.served, 100 * s.unadapted, 100 * s.masked, 100 * s.em, 100 * s.by_original, s.p50_ms, s.p99_ms);
  };
  for (size_t p = 0; p < log.phases.size(); ++p) row(log.phases[p], summarise(log.frames[p]));
  row("all", summarise(all_frames(log)));
  for (const AdaptationReport& r : reports)
    fmt::print(
        "adaptation at frame {}: classes {}, level {:.2f}, batch {}, trainable {}: {} ({:.1f} s, plan {:.1f} MiB, peak "
        "RSS "
        "{:.1f} MiB), held-back accuracy {:.1f}% -> {:.1f}%, latency {:.2f} -> {:.2f} ms, params {} -> {}; {}\n",
        r.frame, fmt::join(r.subset, ","), r.level, r.batch, r.trainable, r.accepted ? "accepted" : "rolled back",
        r.seconds, static_cast<double>(r.plan_bytes) / (1 << 20), static_cast<double>(r.peak_rss_bytes) / (1 << 20),
        100 * r.accuracy_before, 100 * r.accuracy_after, r.latency_before_ms, r.latency_after_ms, r.params_before,
        r.params_after, r.why);
}

nlohmann::json adapt_json(const StreamLog& log, const std::vector<AdaptationReport>& reports, const std::string& stream,
                          double labels, const std::string& arch) {
  nlohmann::json phases = nlohmann::json::array(), adaptations = nlohmann::json::array();
  for (size_t p = 0; p < log.phases.size(); ++p) {
    nlohmann::json j = summary_json(summarise(log.frames[p]));
    j["phase"] = log.phases[p];
    phases.push_back(j);
  }
  for (const AdaptationReport& r : reports)
    adaptations.push_back({{"frame", r.frame},
                           {"subset", r.subset},
                           {"level", r.level},
                           {"batch", r.batch},
                           {"trainable", r.trainable},
                           {"why", r.why},
                           {"accepted", r.accepted},
                           {"seconds", r.seconds},
                           {"predicted_seconds", r.predicted_seconds},
                           {"plan_bytes", r.plan_bytes},
                           {"predicted_bytes", r.predicted_bytes},
                           {"peak_rss_bytes", r.peak_rss_bytes},
                           {"held_back", r.held_back},
                           {"accuracy_before", r.accuracy_before},
                           {"accuracy_after", r.accuracy_after},
                           {"latency_before_ms", r.latency_before_ms},
                           {"latency_after_ms", r.latency_after_ms},
                           {"params_before", r.params_before},
                           {"params_after", r.params_after}});
  return {{"command", "adapt"},        {"model", arch},    {"stream", stream},
          {"labels", labels},          {"phases", phases}, {"overall", summary_json(summarise(all_frames(log)))},
          {"adaptations", adaptations}};
}

std::string adapt_timeline_svg(const StreamLog& log, const std::vector<AdaptationReport>& reports,
                               const std::string& arch) {
  const std::vector<FrameRecord> all = all_frames(log);
  constexpr double kLeft = 70, kWidth = 1000, kPanel = 150, kGap = 40, kTop = 50;
  const double n = std::max<double>(1, static_cast<double>(all.size()));
  auto x = [&](double t) { return kLeft + t / n * kWidth; };
  int64_t max_params = 1;
  float max_ms = 0.01f;
  for (const FrameRecord& f : all) max_params = std::max(max_params, f.params), max_ms = std::max(max_ms, f.ms);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{:.0f}\" y=\"24\" "
      "font-size=\"16\">edgetrain adapt: {} over {} frames</text>\n",
      kLeft + kWidth + 40, kTop + 3 * (kPanel + kGap), kLeft, arch, all.size());
  const char* titles[] = {"accuracy (last 100 frames): adapter (blue), unadapted (grey)", "observe() ms (red)",
                          "parameters of the serving model (green)"};
  for (int p = 0; p < 3; ++p) {
    const double top = kTop + p * (kPanel + kGap);
    svg += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"none\" stroke=\"#999\"/>\n"
        "<text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>\n",
        kLeft, top, kWidth, kPanel, kLeft, top - 6, titles[p]);
  }
  auto polyline = [&](int panel, const std::string& colour, auto&& value_of) {
    const double top = kTop + panel * (kPanel + kGap);
    std::string points;
    for (size_t t = 0; t < all.size(); t += std::max<size_t>(1, all.size() / 1000))
      points += fmt::format("{:.1f},{:.1f} ", x(static_cast<double>(t)), top + kPanel * (1 - value_of(t)));
    svg += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\" points=\"{}\"/>\n", colour, points);
  };
  std::vector<double> served(all.size()), unadapted(all.size());
  std::deque<std::pair<int, int>> recent;
  int s_sum = 0, u_sum = 0;
  for (size_t t = 0; t < all.size(); ++t) {
    recent.emplace_back(all[t].served == all[t].truth, all[t].unadapted == all[t].truth);
    s_sum += recent.back().first, u_sum += recent.back().second;
    if (recent.size() > 100) s_sum -= recent.front().first, u_sum -= recent.front().second, recent.pop_front();
    served[t] = static_cast<double>(s_sum) / static_cast<double>(recent.size());
    unadapted[t] = static_cast<double>(u_sum) / static_cast<double>(recent.size());
  }
  polyline(0, "#999", [&](size_t t) { return unadapted[t]; });
  polyline(0, "#1f77b4", [&](size_t t) { return served[t]; });
  polyline(1, "#d62728", [&](size_t t) { return static_cast<double>(all[t].ms) / max_ms; });
  polyline(2, "#2ca02c",
           [&](size_t t) { return static_cast<double>(all[t].params) / static_cast<double>(max_params); });
  const double bottom = kTop + 3 * kPanel + 2 * kGap;
  size_t start = 0;
  for (size_t p = 0; p < log.phases.size(); ++p) {  // phase boundaries and names
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\" stroke=\"#000\" "
        "stroke-dasharray=\"4 3\"/>\n<text x=\"{3:.1f}\" y=\"{4:.0f}\">{5}</text>\n",
        x(static_cast<double>(start)), kTop, bottom, x(static_cast<double>(start)) + 3, bottom + 16, log.phases[p]);
    start += log.frames[p].size();
  }
  for (const AdaptationReport& r : reports)
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.0f}\" y2=\"{2:.0f}\" stroke=\"{3}\"/>\n",
                       x(static_cast<double>(r.frame)), kTop, bottom, r.accepted ? "#2ca02c" : "#d62728");
  svg += fmt::format(
      "<text x=\"{:.0f}\" y=\"{:.0f}\">max {:.2f} ms, {} parameters; vertical lines: adaptations "
      "(green accepted, red rolled back)</text>\n</svg>\n",
      kLeft, bottom + 34, max_ms, max_params);
  return svg;
}

}  // namespace edgetrain::cli
