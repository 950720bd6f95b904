// edgetrain <verb>: train, eval, plan, info, export, prune, bench, calibrate, predict, adapt. Errors print one line and exit non-zero.
#include <omp.h>

#include <cstdio>

#include "edgetrain/error.hpp"
#include "environment.hpp"
#include "verbs.hpp"

int main(int argc, char** argv) {
  CLI::App app{"edgetrain: train and adapt CNNs on the device that runs them"};
  app.require_subcommand(0, 1);
  int threads = 0;
  app.add_option("--threads", threads, "worker threads (default: OMP_NUM_THREADS, else all cores)");
  struct Verb {
    CLI::App* app;
    edgetrain::cli::Action action;
  };
  std::vector<Verb> verbs;
  auto add = [&](const char* name, const char* help, edgetrain::cli::Action (*fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    verbs.push_back({sub, fn(*sub)});
  };
  add("train", "train a model (default: fmnist-cnn on Fashion-MNIST) and save a checkpoint", edgetrain::cli::add_train);
  add("eval", "evaluate a checkpoint on a data set", edgetrain::cli::add_eval);
  add("plan", "print the memory plan of a training configuration without running it", edgetrain::cli::add_plan);
  add("info", "list a model's layers, shapes, parameters and FLOPs", edgetrain::cli::add_info);
  add("export", "write a checkpoint (or a model) as an ONNX file", edgetrain::cli::add_export);
  add("prune", "channel groups of a model, and structured pruning to a level", edgetrain::cli::add_prune);
  add("bench", "measure a training configuration: step time, each step's time, peak memory", edgetrain::cli::add_bench);
  add("calibrate", "measure this device once and save its profile for predict", edgetrain::cli::add_calibrate);
  add("predict", "predicted memory and time of training configurations, and which fit a budget",
      edgetrain::cli::add_predict);
  add("adapt", "serve a stream whose classes change: the adapter notices, shrinks, retrains and follows the drift",
      edgetrain::cli::add_adapt);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (threads > 0) omp_set_num_threads(threads);
  edgetrain::cli::apply_log_environment();
  try {
    for (auto& v : verbs)
      if (v.app->parsed()) return v.action();
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const edgetrain::Error& e) {
    std::fprintf(stderr, "edgetrain: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "edgetrain: error: out of memory (try a smaller --batch or --trainable last:K)\n");
    return 1;
  }
}
