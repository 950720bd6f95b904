// The on-device loop: a deployed model classifies camera frames one by one, and between frames it
// learns from the labelled ones (a user's corrections, say). Frames live in the application's memory:
// a ring buffer it owns feeds TrainingSession::step, and an InferenceSession over the same Model keeps
// serving with the latest weights. The stand-in camera is Fashion-MNIST's test split, seen through a
// different sensor (inverted contrast), so the model has something to adapt to.
//
//   on_device_loop [CHECKPOINT]   (without one, fmnist-cnn is pre-trained briefly first)
#include <edgetrain/edgetrain.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  using namespace edgetrain;
  const int64_t kFrames = 3000, kWindow = 500, kBatch = 16;  // frames served; accuracy window; step size
  try {
    Model model = argc > 1 ? Model::load(argv[1]) : Model::zoo("fmnist-cnn");
    if (argc <= 1) {  // a stand-in for the factory model: 150 steps on the training split
      const Dataset train = Dataset::open("fashion-mnist");
      std::vector<float> mean, stddev;
      train.statistics(mean, stddev);
      model.set_normalization(mean, stddev);
      TrainingOptions pre;
      pre.batch = 64;
      FitOptions fit;
      fit.on_step = [](const StepProgress& p) { return p.step < 150; };  // stop early (mid-epoch)
      TrainingSession(model, pre).fit(train, fit);
    }

    const Dataset camera = Dataset::open("fashion-mnist", {}, /*test=*/true);
    const std::vector<int64_t> chw = model.input_chw();
    const int64_t pixels = chw[0] * chw[1] * chw[2];
    if (camera.sample_shape() != chw) throw Error("the model does not take 1x28x28 Fashion-MNIST frames");

    // Serving: one frame at a time. Training: a step whenever kBatch new labelled frames are in the ring.
    InferenceSession server(model);
    TrainingOptions options;
    options.batch = kBatch;
    options.optimizer.lr = 5e-4;
    TrainingSession trainer(model, options);  // trains `model` in place; `server` sees every update
    std::printf("serving %s: inference %s, training step %s planned\n", model.arch().c_str(),
                format_bytes(server.memory().total).c_str(), format_bytes(trainer.memory().total).c_str());

    std::vector<float> frame(pixels);
    std::vector<float> ring(kBatch * pixels);  // the application's own ring buffer of labelled frames
    std::vector<int32_t> ring_labels(kBatch);
    int64_t filled = 0, steps = 0, correct_first = 0, correct_last = 0;
    for (int64_t i = 0; i < kFrames && i < camera.size(); ++i) {
      camera.read(i, frame.data());       // "capture" a frame
      for (float& v : frame) v = 1 - v;   // ... through the new sensor

      // Serve it with the weights as they are now.
      const int32_t predicted = server.top_k(frame.data(), 1, 1)[0][0].label;
      const int32_t label = camera.label(i);  // the ground truth arrives later (feedback)
      if (i < kWindow) correct_first += predicted == label;
      if (i >= kFrames - kWindow) correct_last += predicted == label;

      // Keep it for training; a full ring is one step on caller memory (copied in, no allocation).
      std::copy(frame.begin(), frame.end(), ring.begin() + (filled % kBatch) * pixels);
      ring_labels[filled % kBatch] = label;
      if (++filled % kBatch == 0) {
        const StepResult r = trainer.step(ring.data(), ring_labels.data());
        if (++steps % 50 == 0)
          std::printf("frame %5lld: step %lld, batch loss %.3f\n", static_cast<long long>(i + 1),
                      static_cast<long long>(steps), r.loss);
      }
    }
    std::printf("served accuracy: first %lld frames %.1f%%, last %lld frames %.1f%% (%lld training steps)\n",
                static_cast<long long>(kWindow), 100.0 * correct_first / kWindow, static_cast<long long>(kWindow),
                100.0 * correct_last / kWindow, static_cast<long long>(steps));
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
