// The memory lifecycle of a compiled plan as an SVG picture (`edgetrain plan --timeline FILE.svg`):
// every planned buffer a box over the steps it lives in (x) and the arena bytes the planner gave it
// (y), coloured by role, with the arena's size and the step of the largest live total marked.
#pragma once
#include <string>

#include "edgetrain/options.hpp"

namespace edgetrain::cli {

std::string timeline_svg(const PlanSummary& plan, const std::string& title);

}  // namespace edgetrain::cli
