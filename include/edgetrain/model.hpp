// Model: a network (graph + parameters + BatchNorm statistics) and what a user needs to use it:
// architecture name, class names, input normalisation. Load it from the zoo, a checkpoint or an ONNX
// file; save, export, describe, re-target and prune it. Rewrites return a new Model.
//
// Lifetime: a Model is a handle that moves cheaply; sessions keep the network they run alive, so a
// session stays valid when the Model object it came from is moved or destroyed. Threads: const
// member functions may be called from several threads at once (evaluate(), InferenceSessions over
// the same model); a non-const call, or a TrainingSession step, must not overlap with any other use.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgetrain/data.hpp"
#include "edgetrain/export.hpp"
#include "edgetrain/options.hpp"
#include "edgetrain/pruning.hpp"

namespace edgetrain {

namespace detail { struct ModelState; }

// How to build or import a model.
struct ModelOptions {
  int64_t num_classes = 0;         // zoo: outputs (0: 10); ONNX/checkpoint: re-target when different (0: keep)
  std::vector<int64_t> input_chw;  // zoo: input {C, H, W} (empty: the architecture's); ONNX: fixes dynamic dims
  double width_mult = 1.0;         // zoo: width multiplier (mobilenet_v2)
  uint64_t seed = 1;               // initialisation of fresh parameters
};

// One layer of a model, as describe() lists it.
struct LayerInfo {
  std::string name;             // node name (torchvision module path for zoo models)
  std::string op;               // operator, e.g. "Conv2d"
  std::vector<int64_t> output;  // output shape at batch 1
  int64_t params = 0;           // parameters of this layer
  int64_t macs = 0;             // forward multiply-accumulates per image
};

// A model's layers and totals.
struct ModelDescription {
  std::string arch;                // architecture or source file
  std::vector<int64_t> input_chw;  // {C, H, W}
  int64_t num_classes = 0;         // logits
  std::vector<LayerInfo> layers;   // in execution order (the loss excluded)
  int64_t params = 0;              // parameters in all
  int64_t macs = 0;                // forward MACs per image
};

// A parameter's name and shape (ONNX initializer names, torchvision state_dict names for the zoo).
struct ParameterInfo {
  std::string name;            // e.g. "layer1.0.conv1.weight"
  std::vector<int64_t> shape;  // row-major
  bool is_state = false;       // a BatchNorm running statistic rather than a trained parameter
};

// Options of ONNX export.
struct ExportOptions {
  bool fold_batch_norm = false;  // fold BatchNorm into the convolution before it
  int opset = 13;                // 10..17 (10 for OpenCV <= 4.6)
};

// Result of an evaluation.
struct Evaluation {
  double loss = 0;       // mean cross-entropy
  double accuracy = 0;   // share of correct top-1 predictions
  int64_t samples = 0;   // evaluated
  double seconds = 0;    // wall time
};

// Progress of a long call: (done, total) in batches.
using ProgressCallback = std::function<void(int64_t done, int64_t total)>;

// Options of evaluation.
struct EvalOptions {
  int64_t batch = 256;             // batch size (the short last batch is padded, not counted twice)
  EngineOptions engine;            // kernels and layouts
  ProgressCallback on_progress;    // called after each batch (optional)
};

class EDGETRAIN_API Model {
 public:
  // A zoo architecture with fresh parameters: fmnist-cnn, lenet5, resnet18/34/50, resnet20/56,
  // mobilenet_v2, vgg11_bn, vgg16_bn, alexnet, squeezenet1_1.
  static Model zoo(const std::string& arch, const ModelOptions& options = {});
  // The architectures zoo() knows.
  static std::vector<std::string> zoo_names();
  // A checkpoint written by save() or a TrainingSession (weights and statistics; optimizer state is
  // the session's). options.num_classes re-targets the classifier when it differs.
  static Model load(const std::string& path, const ModelOptions& options = {});
  // An ONNX file (a PyTorch export, training-mode preferred), as a trainable model.
  static Model import_onnx(const std::string& path, const ModelOptions& options = {});
  // A zoo name, an ".onnx" file, or else a checkpoint file.
  static Model open(const std::string& name_or_path, const ModelOptions& options = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();
  Model(const Model&) = delete;             // use clone(): a copy of the weights is explicit
  Model& operator=(const Model&) = delete;
  Model clone() const;                      // an independent copy (its own weights)

  // Writes a checkpoint (weights, statistics, class names, normalisation and `metadata`) atomically:
  // the old file survives a failure.
  void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
  // Writes an ONNX inference graph, checked by onnx::checker, atomically.
  void export_onnx(const std::string& path, const ExportOptions& options = {}) const;
  ModelDescription describe() const;                 // layers, shapes, parameters, MACs
  // Pruning's channel-group analysis: one line per group of channels pruned together.
  std::string channel_groups() const;

  const std::string& arch() const;                   // architecture or source file name
  std::vector<int64_t> input_chw() const;            // {C, H, W}
  int64_t num_classes() const;                       // logits
  int64_t parameter_count() const;                   // trained parameters' elements
  const std::vector<std::string>& class_names() const;  // index = class (may be empty)
  void set_class_names(std::vector<std::string> names);
  // Per-channel input normalisation x' = (x - mean) / std that sessions apply (empty: none).
  const std::vector<float>& mean() const;
  const std::vector<float>& stddev() const;
  void set_normalization(std::vector<float> mean, std::vector<float> std);
  // Writes n images [n, C, H, W] normalised as sessions feed them to the network (a copy when the
  // model has no normalisation).
  void normalize(const float* images, int64_t n, float* out) const;

  std::vector<ParameterInfo> parameters() const;     // parameters, then BatchNorm statistics
  // A parameter or statistic by name, row-major. Throws Error for an unknown name.
  std::vector<float> parameter(const std::string& name) const;
  // Overwrites a parameter or statistic (row-major, its exact element count). Throws Error otherwise.
  void set_parameter(const std::string& name, const std::vector<float>& values);

  // The same network with a fresh classifier of `num_classes` outputs; everything else kept.
  Model with_num_classes(int64_t num_classes, uint64_t seed = 1) const;
  // A smaller model with the lowest-ranked channels removed (weight criteria: l1, random):
  // pruned(ChannelRanking::rank(*this, options), options.level).
  Model pruned(const PruneOptions& options) const;
  // The same with a data criterion (activation, apoz, taylor) measured on `data`.
  Model pruned(const PruneOptions& options, const Dataset& data) const;
  // A smaller model without the channels `ranking` ranks lowest, about `level` of the parameters
  // removed (0..1; the level reached is 1 - pruned.parameter_count() / parameter_count()). The
  // ranking must be of a model of this architecture and these shapes (Error otherwise).
  Model pruned(const ChannelRanking& ranking, double level) const;

  // Loss and accuracy on a data set (inference mode: running statistics, no dropout). Thread-safe.
  Evaluation evaluate(const Dataset& data, const EvalOptions& options = {}) const;

  const detail::ModelState& state() const { return *state_; }  // for the library's own use
  detail::ModelState& state() { return *state_; }
  const std::shared_ptr<detail::ModelState>& shared_state() const { return state_; }

 private:
  explicit Model(std::shared_ptr<detail::ModelState> s);
  std::shared_ptr<detail::ModelState> state_;
  friend struct detail::ModelState;
};

}  // namespace edgetrain
