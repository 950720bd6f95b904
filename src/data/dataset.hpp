// Dataset: random access to labelled CHW float samples, plus the factories for the formats we read
// (MNIST-family IDX, CIFAR binary, image folders) and class subsets of any dataset.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shape.hpp"

namespace edgetrain::data {

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Shape sample_shape() const = 0;                           // {C, H, W}
  virtual const std::vector<std::string>& class_names() const = 0;  // index = label
  virtual int32_t label(int64_t i) const = 0;
  // Writes sample i as C*H*W floats (pixel / 255, in [0, 1]) to dst. Thread-safe.
  virtual void read(int64_t i, float* dst) const = 0;
  // Memory the data set keeps resident (its samples as stored, and whatever it wraps); by default
  // one byte per pixel and an i32 label per sample.
  virtual std::size_t resident_bytes() const {
    return static_cast<std::size_t>(size()) * (static_cast<std::size_t>(sample_shape().numel()) + sizeof(int32_t));
  }
};

// MNIST-family IDX files (raw or gzip): images magic 0x00000803 [N, H, W] u8, labels magic
// 0x00000801 [N] u8. Empty class_names = "0".."K-1" with K = max label + 1.
std::unique_ptr<Dataset> open_idx(const std::string& images, const std::string& labels,
                                  std::vector<std::string> class_names = {});
// The same on the two files' (uncompressed) bytes in memory; the names only appear in messages.
std::unique_ptr<Dataset> parse_idx(std::vector<uint8_t> images, std::vector<uint8_t> labels,
                                   std::vector<std::string> class_names, const std::string& images_name,
                                   const std::string& labels_name);

// Fashion-MNIST from dir: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
std::unique_ptr<Dataset> open_fashion_mnist(const std::string& dir, bool train);
const char* default_fashion_mnist_dir();  // Debian's dataset-fashion-mnist location
const std::vector<std::string>& fashion_mnist_class_names();

// CIFAR-10 (1 label byte + 3072 pixel bytes per record) or CIFAR-100 (coarse + fine label bytes +
// 3072) binary batches, concatenated in the given order. Class names come from batches.meta.txt
// (CIFAR-10) or fine_label_names.txt / coarse_label_names.txt (CIFAR-100) next to the first file,
// else "0".."K-1".
std::unique_ptr<Dataset> open_cifar(const std::vector<std::string>& files, bool cifar100,
                                    bool coarse_labels = false);
// One batch file's bytes in memory (`path` names it in messages), with class names "0".."K-1".
std::unique_ptr<Dataset> parse_cifar(const std::vector<uint8_t>& bytes, const std::string& path, bool cifar100,
                                     bool coarse_labels = false);

// root/<class>/<image>: sorted sub-folder names are the classes; every non-hidden file must be a
// PNG/JPEG/BMP image. Decoded eagerly, converted to `channels` (1 or 3) and resized bilinearly to
// height x width.
std::unique_ptr<Dataset> open_image_folder(const std::string& root, int height, int width,
                                           int channels);

// The samples of base whose class is in `classes` (each a class name or a class index).
// remap_labels: labels become 0..k-1 in the given order and class_names() is the subset;
// otherwise the original labels and names are kept.
std::unique_ptr<Dataset> class_subset(std::shared_ptr<const Dataset> base,
                                      const std::vector<std::string>& classes, bool remap_labels);

// n images [n, C, H, W] (floats in [0, 1]) and labels the application owns: copied in, or borrowed
// (copy = false: the caller keeps them alive and unchanged). Empty class_names: "0".."K-1".
std::unique_ptr<Dataset> from_arrays(const float* images, const int32_t* labels, int64_t n, const Shape& chw,
                                     std::vector<std::string> class_names, bool copy);

// A data set spec: "fashion-mnist[:DIR]", "idx:IMAGES,LABELS", "cifar10:DIR", "cifar100:DIR" or
// "folder:DIR" (decoded to chw); `test` opens the spec's test split (spec_has_test_split).
std::unique_ptr<Dataset> open_spec(const std::string& spec, const Shape& chw, bool test);
bool spec_has_test_split(const std::string& spec);
// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text, char sep);

// Per-channel mean and standard deviation of up to max_samples evenly spaced samples.
void channel_statistics(const Dataset& d, int64_t max_samples, std::vector<float>& mean, std::vector<float>& std);

}  // namespace edgetrain::data
