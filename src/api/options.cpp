// The public option types' own logic: trainable specs, default learning rates, epoch schedules, sizes.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "api/convert.hpp"
#include "core/bytes.hpp"
#include "core/check.hpp"
#include "edgetrain/options.hpp"

namespace edgetrain {

Trainable Trainable::all() { return Trainable{}; }
Trainable Trainable::classifier() { return Trainable{Mode::classifier, 1, {}}; }
Trainable Trainable::last(int k) {
  ET_REQUIRE(k > 0, "Trainable::last needs k > 0, got {}", k);
  return Trainable{Mode::last_k, k, {}};
}
Trainable Trainable::bias() { return Trainable{Mode::bias, 1, {}}; }
Trainable Trainable::names(std::vector<std::string> patterns) {
  ET_REQUIRE(!patterns.empty(), "Trainable::names needs at least one name or glob");
  return Trainable{Mode::names, 1, std::move(patterns)};
}
Trainable Trainable::parse(const std::string& text) { return api::from_internal(parse_trainable(text)); }
std::string Trainable::str() const { return to_string(api::to_internal(*this)); }

double OptimizerOptions::base_lr() const {
  if (lr != 0) return lr;  // a negative or NaN rate reaches validation (Error), it is not replaced
  return kind == Optimizer::sgd ? 0.01 : 1e-3;
}

ScheduleOptions ScheduleOptions::over_epochs(Schedule kind, int epochs, int64_t steps_per_epoch, double warmup_epochs,
                                             double step_epochs, double gamma) {
  ET_REQUIRE(epochs > 0 && steps_per_epoch > 0, "a schedule needs epochs > 0 and steps per epoch > 0, got {} and {}",
             epochs, steps_per_epoch);
  ScheduleOptions s;
  s.kind = kind;
  const auto steps = [&](double e) { return static_cast<int64_t>(e * static_cast<double>(steps_per_epoch)); };
  s.warmup_steps = steps(warmup_epochs);
  s.total_steps = std::max<int64_t>(int64_t{epochs} * steps_per_epoch, s.warmup_steps + 1);
  s.step_size = step_epochs > 0 ? steps(step_epochs) : std::max<int64_t>(1, s.total_steps / 3);
  s.gamma = gamma;
  return s;
}

std::size_t parse_bytes(const std::string& t) {
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  ET_REQUIRE(end != t.c_str() && v > 0, "size '{}' not understood: use e.g. 512M, 2G or a byte count", t);
  std::string unit(end);
  double mult = 1;
  if (unit == "K" || unit == "KiB" || unit == "k")
    mult = 1024.0;
  else if (unit == "M" || unit == "MiB")
    mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB")
    mult = 1024.0 * 1024 * 1024;
  else
    ET_REQUIRE(unit.empty(), "size '{}' not understood: use e.g. 512M, 2G or a byte count", t);
  return static_cast<std::size_t>(v * mult);
}

std::string format_bytes(std::size_t bytes) { return human_bytes(bytes); }

std::string to_string(Backend b) { return api::backend_name(b); }
std::string to_string(Optimizer k) { return std::string(api::name_of(k)); }
std::string to_string(Schedule k) { return std::string(api::name_of(k)); }
Backend parse_backend(const std::string& name) { return api::backend_from_name(name); }
Optimizer parse_optimizer(const std::string& name) { return api::from_internal(optim::parse_optimizer(name)); }
Schedule parse_schedule(const std::string& name) { return api::from_internal(optim::parse_schedule(name)); }
namespace {
constexpr std::array<std::pair<Precision, std::string_view>, 7> kPrecisionNames = {{{Precision::f32, "f32"},
                                                                                    {Precision::bf16, "bf16"},
                                                                                    {Precision::fx8, "fx8"},
                                                                                    {Precision::fx12, "fx12"},
                                                                                    {Precision::fx14, "fx14"},
                                                                                    {Precision::fx16, "fx16"},
                                                                                    {Precision::muppet, "muppet"}}};
}  // namespace

std::string to_string(Precision p) {
  for (const auto& [precision, name] : kPrecisionNames)
    if (precision == p) return std::string(name);
  return "?";
}
Precision parse_precision(const std::string& name) {
  for (const auto& [precision, known] : kPrecisionNames)
    if (known == name) return precision;
  fail("unknown precision '{}': use f32, bf16, fx8, fx12, fx14, fx16 or muppet", name);
}

}  // namespace edgetrain
