// open_fashion_mnist: the Fashion-MNIST IDX files of one split, found in a directory.
#include <filesystem>

#include "core/check.hpp"
#include "data/dataset.hpp"

namespace edgetrain::data {
namespace {

// dir/base.gz if it exists, else dir/base if it exists, else Error listing both.
std::string find_file(const std::string& dir, const std::string& base) {
  namespace fs = std::filesystem;
  const std::string gz = (fs::path(dir) / (base + ".gz")).string();
  const std::string raw = (fs::path(dir) / base).string();
  std::error_code ec;
  if (fs::is_regular_file(gz, ec)) return gz;
  if (fs::is_regular_file(raw, ec)) return raw;
  fail("Fashion-MNIST file not found: tried {} and {}; install the Debian package "
       "dataset-fashion-mnist (files in {}) or pass the directory that holds the IDX files",
       gz, raw, default_fashion_mnist_dir());
}

}  // namespace

const char* default_fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

std::unique_ptr<Dataset> open_fashion_mnist(const std::string& dir, bool train) {
  const std::string split = train ? "train" : "t10k";
  const std::string images = find_file(dir, split + "-images-idx3-ubyte");
  const std::string labels = find_file(dir, split + "-labels-idx1-ubyte");
  return open_idx(images, labels, fashion_mnist_class_names());
}

}  // namespace edgetrain::data
