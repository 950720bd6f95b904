#include "plan_timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace edgetrain::cli {

namespace {

constexpr double kLeft = 90, kTop = 50, kWidth = 1100, kHeight = 560, kBottom = 60, kRight = 200;

std::string colour_of(const std::string& kind) {
  static const std::map<std::string, std::string> colours = {
      {"io", "#7f7f7f"},           {"activations", "#1f77b4"},
      {"saved_aux", "#17becf"},    {"activation_grads", "#d62728"},
      {"weight_grads", "#ff7f0e"}, {"workspace", "#2ca02c"}};
  const auto it = colours.find(kind);
  return it == colours.end() ? "#9467bd" : it->second;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The step where the buffers alive together hold the most bytes, and that total.
std::pair<int, std::size_t> largest_live_total(const PlanSummary& plan, int steps) {
  std::vector<std::size_t> live(static_cast<size_t>(steps) + 1, 0);
  for (const BufferInfo& b : plan.buffers)
    for (int s = std::max(0, b.first_step); s <= std::min(b.last_step, steps); ++s)
      live[static_cast<size_t>(s)] += b.bytes;
  const auto it = std::max_element(live.begin(), live.end());
  return {static_cast<int>(it - live.begin()), *it};
}

}  // namespace

std::string timeline_svg(const PlanSummary& plan, const std::string& title) {
  const int steps = static_cast<int>(std::max<int64_t>(1, plan.steps));
  std::size_t top = std::max<std::size_t>(1, plan.memory.arena);
  for (const BufferInfo& b : plan.buffers) top = std::max(top, b.offset + b.bytes);
  const double xs = kWidth / steps, ys = kHeight / static_cast<double>(top);
  const auto x_of = [&](double step) { return kLeft + step * xs; };
  const auto y_of = [&](double bytes) { return kTop + kHeight - bytes * ys; };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{:.0f}\" y=\"24\" font-size=\"16\">{}</text>\n",
      kLeft + kWidth + kRight, kTop + kHeight + kBottom, kLeft, escape(title));
  for (const BufferInfo& b : plan.buffers) {
    if (b.bytes == 0) continue;
    svg += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\" fill-opacity=\"0.75\" "
        "stroke=\"black\" stroke-width=\"0.3\"><title>{}: {} ({}) at offset {}, steps {}..{}</title></rect>\n",
        x_of(b.first_step), y_of(static_cast<double>(b.offset + b.bytes)),
        std::max(0.5, (b.last_step - b.first_step + 1) * xs), std::max(0.5, static_cast<double>(b.bytes) * ys),
        colour_of(b.kind), escape(b.label), format_bytes(b.bytes), b.kind, b.offset, b.first_step, b.last_step);
  }
  // Axes, the arena's size, and the step of the largest live total.
  svg += fmt::format(
      "<line x1=\"{0:.0f}\" y1=\"{1:.0f}\" x2=\"{0:.0f}\" y2=\"{2:.0f}\" stroke=\"black\"/>\n"
      "<line x1=\"{0:.0f}\" y1=\"{2:.0f}\" x2=\"{3:.0f}\" y2=\"{2:.0f}\" stroke=\"black\"/>\n",
      kLeft, kTop, kTop + kHeight, kLeft + kWidth);
  for (int k = 0; k <= 4; ++k) {
    const double bytes = static_cast<double>(top) * k / 4;
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, y_of(bytes) + 4,
                       format_bytes(static_cast<std::size_t>(bytes)));
    const double step = steps * k / 4.0;
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">{:.0f}</text>\n", x_of(step),
                       kTop + kHeight + 18, step);
  }
  svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" text-anchor=\"middle\">step (execution order)</text>\n",
                     kLeft + kWidth / 2, kTop + kHeight + 40);
  svg += fmt::format(
      "<line x1=\"{:.0f}\" y1=\"{:.2f}\" x2=\"{:.0f}\" y2=\"{:.2f}\" stroke=\"black\" stroke-dasharray=\"6,3\"/>\n"
      "<text x=\"{:.0f}\" y=\"{:.2f}\" text-anchor=\"end\">arena {} (the plan's peak)</text>\n",
      kLeft, y_of(static_cast<double>(plan.memory.arena)), kLeft + kWidth, y_of(static_cast<double>(plan.memory.arena)),
      kLeft + kWidth, y_of(static_cast<double>(plan.memory.arena)) - 4, format_bytes(plan.memory.arena));
  const auto [peak_step, live] = largest_live_total(plan, steps);
  svg += fmt::format(
      "<line x1=\"{0:.2f}\" y1=\"{1:.0f}\" x2=\"{0:.2f}\" y2=\"{2:.0f}\" stroke=\"#d62728\" "
      "stroke-dasharray=\"4,3\"/>\n<text x=\"{0:.2f}\" y=\"{3:.0f}\" fill=\"#d62728\" text-anchor=\"middle\">"
      "step {4}: {5} live</text>\n",
      x_of(peak_step + 0.5), kTop, kTop + kHeight, kTop - 6, peak_step, format_bytes(live));
  double y = kTop + 20;
  for (const char* kind : {"io", "activations", "saved_aux", "activation_grads", "weight_grads", "workspace"}) {
    svg += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
        "<text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>\n",
        kLeft + kWidth + 6, y + 30, colour_of(kind), kLeft + kWidth + 24, y + 40, kind);
    y += 20;
  }
  return svg + "</svg>\n";
}

}  // namespace edgetrain::cli
