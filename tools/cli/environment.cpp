#include "environment.hpp"

#include <cstdlib>
#include <string_view>

#include "api/convert.hpp"
#include "compile/compile.hpp"
#include "edgetrain/log.hpp"

namespace edgetrain::cli {

namespace {
bool env_is(const char* name, std::string_view value) {
  const char* v = std::getenv(name);
  return v && value == v;
}
}  // namespace

void apply_log_environment() {
  if (const char* v = std::getenv("EDGETRAIN_VERBOSE")) set_log_level(std::atoi(v));
}

EngineOptions engine_options(const std::string& backend, const std::string& precision) {
  EngineOptions e;
  e.backend = parse_backend(backend);
  e.precision = parse_precision(precision);
  if (env_is("EDGETRAIN_NO_PLANNER", "1")) e.planner = Planner::no_reuse;
  if (env_is("EDGETRAIN_LAYOUT", "plain")) e.blocked_layouts = false;
  if (env_is("EDGETRAIN_PARAM_LAYOUT", "plain")) e.blocked_params = false;
  if (env_is("EDGETRAIN_FUSE", "0")) e.fuse_activations = false;
  if (env_is("EDGETRAIN_WINOGRAD", "0")) e.winograd = false;
  return e;
}

CompileOptions& with_environment(CompileOptions& o) {
  api::apply_engine(
      o, engine_options(std::string(backend_choice_name(o.backend)), std::string(dtype_info(o.activations).name)));
  return o;
}

}  // namespace edgetrain::cli
