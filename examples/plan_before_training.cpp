// Ask before training: what a training step will need, known before anything is allocated or run.
//
//   plan_before_training [ARCH] [PROFILE.json|-] [BUDGET]
// ARCH: a zoo name (default resnet18 at 3x64x64; a named one at its own input size). PROFILE: a device
// profile from `edgetrain calibrate` for predicted totals and time. BUDGET: e.g. 256M (the default).
#include <edgetrain/edgetrain.hpp>

#include <cstdio>
#include <string>

using namespace edgetrain;

static TrainingOptions config(int64_t batch, const Trainable& trainable = Trainable::all()) {
  TrainingOptions o;
  o.batch = batch, o.trainable = trainable;
  return o;
}

int main(int argc, char** argv) {
  try {
    ModelOptions mo;
    if (argc < 2) mo.input_chw = {3, 64, 64};
    const Model model = Model::zoo(argc > 1 ? argv[1] : "resnet18", mo);
    const std::size_t budget = parse_bytes(argc > 3 ? argv[3] : "256M");
    const auto chw = model.input_chw();
    std::printf("%s at %dx%dx%d, %lld parameters\n", model.arch().c_str(), int(chw[0]), int(chw[1]), int(chw[2]),
                static_cast<long long>(model.parameter_count()));

    // The compiled step's exact memory, by part, for a few batch sizes and choices of what trains.
    std::printf("batch trainable   weights+BN  optimizer  arena(act.,grads) kernel ws      total\n");
    for (int batch : {1, 8, 32})
      for (const Trainable& t : {Trainable::all(), Trainable::last(3), Trainable::classifier()}) {
        const MemoryBreakdown m = TrainingSession::preview(model, config(batch, t)).memory;
        std::printf("%5d %-11s %10s %10s %17s %9s %10s\n", batch, t.str().c_str(),
                    format_bytes(m.weights + m.bn_state).c_str(), format_bytes(m.optimizer_state).c_str(),
                    format_bytes(m.arena).c_str(), format_bytes(m.kernel_workspace).c_str(),
                    format_bytes(m.total).c_str());
      }

    if (argc > 2 && std::string(argv[2]) != "-") {
      // With a device profile: the process's predicted peak (plan + runtime + input) and the time.
      const Predictor predictor = Predictor::load(argv[2]);
      const int64_t batch = predictor.largest_batch(model, config(1), budget);
      std::printf("on %s, within %s: largest batch %lld\n", predictor.device().c_str(), format_bytes(budget).c_str(),
                  static_cast<long long>(batch));
      if (batch == 0) return 1;
      // largest_batch drops Winograd where that makes a batch fit; estimate() must be told the same.
      TrainingOptions options = config(batch);
      CostEstimate c = predictor.estimate(model, options, 50000);
      if (c.total_bytes > budget) options.engine.winograd = false, c = predictor.estimate(model, options, 50000);
      std::printf("  predicted peak %s%s, %.1f ms per step, %.1f s per epoch of 50000 images\n",
                  format_bytes(c.total_bytes).c_str(), options.engine.winograd ? "" : " (no Winograd)", c.step_ms,
                  c.epoch_seconds);
    } else {
      // Without one: the largest batch whose planned step fits, by doubling then bisecting on preview().
      auto fits = [&](int64_t b) { return TrainingSession::preview(model, config(b)).memory.total <= budget; };
      if (!fits(1)) return std::printf("not even batch 1 fits in %s\n", format_bytes(budget).c_str()), 1;
      int64_t lo = 1, hi = 2;  // fits(lo), !fits(hi); up to 4096
      while (hi <= 4096 && fits(hi)) lo = hi, hi = hi < 4096 ? hi * 2 : hi + 1;
      while (hi - lo > 1) (fits((lo + hi) / 2) ? lo : hi) = (lo + hi) / 2;
      std::printf("within %s (planned step only, no process overhead): largest batch %lld\n",
                  format_bytes(budget).c_str(), static_cast<long long>(lo));
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
