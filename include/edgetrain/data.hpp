// Data sets: the formats edgetrain reads (Fashion-MNIST, IDX, CIFAR, image folders) and arrays the
// application owns (camera frames in memory). Samples are float CHW images with pixel values in
// [0, 1], before normalisation (the model's normalisation is applied when a session reads them).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgetrain/export.hpp"

namespace edgetrain {

namespace detail { struct DatasetHandle; }

// How to open a data set spec.
struct DataOptions {
  std::vector<int64_t> input_chw;  // image folders: decode to this {C, H, W} (required for folder:)
  std::vector<std::string> classes;  // keep only these classes (names or indices); empty: all
  bool remap_labels = true;        // with classes: labels become 0..k-1 in the given order
};

// A labelled set of images; cheap to copy (copies share the samples, which are read-only).
class EDGETRAIN_API Dataset {
 public:
  // A data set spec: "fashion-mnist[:DIR]", "idx:IMAGES,LABELS", "cifar10:DIR", "cifar100:DIR",
  // "folder:DIR" (one sub-folder per class). `test` picks the spec's test split (fashion-mnist,
  // cifar10, cifar100; an Error for the others). Throws Error naming the file on bad input.
  static Dataset open(const std::string& spec, const DataOptions& options = {}, bool test = false);
  // Whether `spec` has its own test split (open(spec, ..., true) works).
  static bool has_test_split(const std::string& spec);
  // n images [n, C, H, W] (floats in [0, 1]) and labels [n] in 0..K-1 owned by the application,
  // copied in. class_names empty: "0".."K-1" with K = max label + 1.
  static Dataset from_arrays(const float* images, const int32_t* labels, int64_t n, std::vector<int64_t> chw,
                             std::vector<std::string> class_names = {});
  // The same without a copy: the application keeps `images` and `labels` alive and unchanged while
  // the data set (or any copy of it, or a session reading it) is in use.
  static Dataset view_arrays(const float* images, const int32_t* labels, int64_t n, std::vector<int64_t> chw,
                             std::vector<std::string> class_names = {});

  int64_t size() const;                                // samples
  std::vector<int64_t> sample_shape() const;           // {C, H, W}
  const std::vector<std::string>& class_names() const; // index = label
  int32_t label(int64_t i) const;                      // label of sample i
  void read(int64_t i, float* dst) const;              // sample i as C*H*W floats in [0, 1]; thread-safe
  // The samples whose class is in `classes` (names or indices); remap: labels 0..k-1 in that order.
  Dataset subset(const std::vector<std::string>& classes, bool remap_labels = true) const;
  // Per-channel mean and standard deviation over up to `max_samples` evenly spaced samples.
  void statistics(std::vector<float>& mean, std::vector<float>& std, int64_t max_samples = 2000) const;
  // Bytes the data set keeps resident.
  std::size_t resident_bytes() const;

  const detail::DatasetHandle& handle() const { return *handle_; }  // for the library's own use

 private:
  explicit Dataset(std::shared_ptr<const detail::DatasetHandle> h) : handle_(std::move(h)) {}
  std::shared_ptr<const detail::DatasetHandle> handle_;
  friend struct detail::DatasetHandle;
};

}  // namespace edgetrain
