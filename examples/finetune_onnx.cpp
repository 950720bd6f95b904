// Fine-tune an ONNX model (e.g. a PyTorch export in training mode) on a folder of images with one
// sub-folder per class, then export the result as ONNX again.
//
//   finetune_onnx MODEL.onnx IMAGE_DIR OUT.onnx [epochs]
#include <edgetrain/edgetrain.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::fprintf(stderr, "usage: %s MODEL.onnx IMAGE_DIR OUT.onnx [epochs]\n", argv[0]);
    return 2;
  }
  const std::string model_path = argv[1], image_dir = argv[2], out_path = argv[3];
  const int epochs = argc == 5 ? std::atoi(argv[4]) : 10;
  try {
    // The folder decodes images to the model's input size, so read that first.
    const auto chw = edgetrain::Model::import_onnx(model_path).input_chw();
    edgetrain::DataOptions data_options;
    data_options.input_chw = chw;
    const auto data = edgetrain::Dataset::open("folder:" + image_dir, data_options);

    // Import again with a fresh classifier of the folder's class count (all other layers are kept).
    edgetrain::ModelOptions model_options;
    model_options.num_classes = static_cast<int64_t>(data.class_names().size());
    auto model = edgetrain::Model::import_onnx(model_path, model_options);
    model.set_class_names(data.class_names());
    std::vector<float> mean, stddev;  // normalise inputs with the folder's own statistics
    data.statistics(mean, stddev);
    model.set_normalization(mean, stddev);
    std::printf("%s: %lld classes, %lld images of %lldx%lldx%lld\n", model_path.c_str(),
                static_cast<long long>(model.num_classes()), static_cast<long long>(data.size()),
                static_cast<long long>(chw[0]), static_cast<long long>(chw[1]), static_cast<long long>(chw[2]));

    // Train only the layer that makes the logits: cheap in memory and time, and safe on little data.
    edgetrain::TrainingOptions options;
    options.batch = std::min<int64_t>(16, data.size());  // fit() runs full batches only
    options.trainable = edgetrain::Trainable::classifier();
    options.optimizer.lr = 3e-3;
    edgetrain::TrainingSession session(model, options);
    std::printf("training %s: %s planned\n", options.trainable.str().c_str(),
                edgetrain::format_bytes(session.memory().total).c_str());

    edgetrain::FitOptions fit;
    fit.epochs = epochs;
    fit.augment.horizontal_flip = true;
    fit.on_epoch = [](const edgetrain::EpochReport& r) {
      std::printf("epoch %d/%d: loss %.4f, train accuracy %.1f%% (%.2f s)\n", r.epoch, r.epochs, r.train_loss,
                  100 * r.train_accuracy, r.seconds);
      return true;  // keep going
    };
    session.fit(data, fit);

    // The session trained `model` in place: export it, and keep a resumable checkpoint next to it.
    model.export_onnx(out_path);
    const std::string checkpoint = out_path + ".ckpt";
    session.save_checkpoint(checkpoint, {{"source", model_path}});
    std::printf("wrote %s and %s\n", out_path.c_str(), checkpoint.c_str());
  } catch (const edgetrain::Error& e) {  // bad files, shapes or options: one line says what and how to fix
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
