// One function per CLI verb: registers its options on `app` and returns the action to run.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace edgetrain::cli {

using Action = std::function<int()>;
Action add_train(CLI::App& app);
Action add_eval(CLI::App& app);
Action add_plan(CLI::App& app);
Action add_info(CLI::App& app);
Action add_export(CLI::App& app);
Action add_prune(CLI::App& app);
Action add_bench(CLI::App& app);
Action add_calibrate(CLI::App& app);
Action add_predict(CLI::App& app);
Action add_adapt(CLI::App& app);

}  // namespace edgetrain::cli
