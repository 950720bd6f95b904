// The CLI's mapping of the environment onto library options (the library itself reads none):
//   EDGETRAIN_VERBOSE=1|2          diagnostics level (set_log_level)
//   EDGETRAIN_NO_PLANNER=1         the no-reuse planner
//   EDGETRAIN_LAYOUT=plain         activations stay plain between steps
//   EDGETRAIN_PARAM_LAYOUT=plain   weights stay row-major
//   EDGETRAIN_FUSE=0               no activation fusion
//   EDGETRAIN_WINOGRAD=0           no Winograd convolutions
#pragma once
#include <string>

#include "edgetrain/options.hpp"

namespace edgetrain {
struct CompileOptions;
}

namespace edgetrain::cli {

// Sets the diagnostics level from EDGETRAIN_VERBOSE (once, at start-up).
void apply_log_environment();
// Engine options for a --backend value (auto, onednn, native, ref) and a --precision value (f32, bf16),
// with the environment's switches.
EngineOptions engine_options(const std::string& backend, const std::string& precision = "f32");
// The same applied to compile options built by a verb that uses the internals directly.
CompileOptions& with_environment(CompileOptions& options);

}  // namespace edgetrain::cli
