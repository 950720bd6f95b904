// Data set specs: "fashion-mnist[:DIR]", "idx:IMAGES,LABELS", "cifar10:DIR", "cifar100:DIR", "folder:DIR".
#include <filesystem>

#include "core/check.hpp"
#include "data/dataset.hpp"

namespace edgetrain::data {

namespace fs = std::filesystem;

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t p = s.find(sep, start);
    if (p == std::string::npos) p = s.size();
    if (p > start) out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
  return out;
}

namespace {
std::pair<std::string, std::string> kind_and_arg(const std::string& spec) {
  auto colon = spec.find(':');
  return {spec.substr(0, colon), colon == std::string::npos ? "" : spec.substr(colon + 1)};
}
}  // namespace

bool spec_has_test_split(const std::string& spec) {
  const std::string kind = kind_and_arg(spec).first;
  return kind == "fashion-mnist" || kind == "cifar10" || kind == "cifar100";
}

std::unique_ptr<Dataset> open_spec(const std::string& spec, const Shape& chw, bool test) {
  const auto [kind, arg] = kind_and_arg(spec);
  ET_REQUIRE(!test || spec_has_test_split(spec), "data spec '{}' has no test split: give test data of its own", spec);
  if (kind == "fashion-mnist") return open_fashion_mnist(arg.empty() ? default_fashion_mnist_dir() : arg, !test);
  if (kind == "idx") {
    auto files = split_list(arg, ',');
    ET_REQUIRE(files.size() == 2, "data spec '{}': use idx:IMAGES,LABELS", spec);
    return open_idx(files[0], files[1]);
  }
  if (kind == "cifar10") {
    if (test) return open_cifar({(fs::path(arg) / "test_batch.bin").string()}, false);
    std::vector<std::string> train;
    for (int i = 1; i <= 5; ++i) train.push_back((fs::path(arg) / ("data_batch_" + std::to_string(i) + ".bin")).string());
    return open_cifar(train, false);
  }
  if (kind == "cifar100") return open_cifar({(fs::path(arg) / (test ? "test.bin" : "train.bin")).string()}, true);
  if (kind == "folder") {
    ET_REQUIRE(!arg.empty(), "data spec '{}': use folder:DIR", spec);
    ET_REQUIRE(chw.rank() == 3, "image folders need an input size to decode to (DataOptions::input_chw; --input CxHxW)");
    return open_image_folder(arg, static_cast<int>(chw[1]), static_cast<int>(chw[2]), static_cast<int>(chw[0]));
  }
  fail("data spec '{}' not understood: use fashion-mnist[:DIR], idx:IMAGES,LABELS, cifar10:DIR, cifar100:DIR "
       "or folder:DIR",
       spec);
}

}  // namespace edgetrain::data
