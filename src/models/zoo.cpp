// Network zoo dispatch: names, default inputs, option validation.
#include "models/zoo.hpp"

#include <fmt/format.h>

#include <array>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

struct Entry {
  std::string_view name;
  Shape input;  // {C, H, W} the architecture was designed for
  Graph (*build)(const ZooOptions&);
};

const std::array<Entry, 26>& table() {
  static const std::array<Entry, 26> entries{{
      {"fmnist-cnn", {1, 28, 28}, build_fmnist_cnn},
      {"lenet5", {1, 28, 28}, build_lenet5},
      {"resnet18", {3, 224, 224}, [](const ZooOptions& o) { return build_resnet(18, o); }},
      {"resnet34", {3, 224, 224}, [](const ZooOptions& o) { return build_resnet(34, o); }},
      {"resnet50", {3, 224, 224}, [](const ZooOptions& o) { return build_resnet(50, o); }},
      {"resnet20", {3, 32, 32}, [](const ZooOptions& o) { return build_resnet_cifar(20, o); }},
      {"resnet56", {3, 32, 32}, [](const ZooOptions& o) { return build_resnet_cifar(56, o); }},
      {"mobilenet_v2", {3, 224, 224}, build_mobilenet_v2},
      {"vgg11_bn", {3, 224, 224}, [](const ZooOptions& o) { return build_vgg(11, o); }},
      {"vgg16_bn", {3, 224, 224}, [](const ZooOptions& o) { return build_vgg(16, o); }},
      {"alexnet", {3, 224, 224}, build_alexnet},
      {"squeezenet1_1", {3, 224, 224}, build_squeezenet1_1},
      {"mobilenet_v3_small", {3, 224, 224}, [](const ZooOptions& o) { return build_mobilenet_v3(false, o); }},
      {"mobilenet_v3_large", {3, 224, 224}, [](const ZooOptions& o) { return build_mobilenet_v3(true, o); }},
      {"efficientnet_b0", {3, 224, 224}, [](const ZooOptions& o) { return build_efficientnet(0, o); }},
      {"efficientnet_b1", {3, 240, 240}, [](const ZooOptions& o) { return build_efficientnet(1, o); }},
      {"efficientnet_b2", {3, 288, 288}, [](const ZooOptions& o) { return build_efficientnet(2, o); }},
      {"efficientnet_b3", {3, 300, 300}, [](const ZooOptions& o) { return build_efficientnet(3, o); }},
      {"mnasnet0_5", {3, 224, 224}, [](const ZooOptions& o) { return build_mnasnet(0.5, o); }},
      {"mnasnet0_75", {3, 224, 224}, [](const ZooOptions& o) { return build_mnasnet(0.75, o); }},
      {"mnasnet1_0", {3, 224, 224}, [](const ZooOptions& o) { return build_mnasnet(1.0, o); }},
      {"mnasnet1_3", {3, 224, 224}, [](const ZooOptions& o) { return build_mnasnet(1.3, o); }},
      {"shufflenet_v2_x0_5", {3, 224, 224}, [](const ZooOptions& o) { return build_shufflenet_v2(0.5, o); }},
      {"shufflenet_v2_x1_0", {3, 224, 224}, [](const ZooOptions& o) { return build_shufflenet_v2(1.0, o); }},
      {"shufflenet_v2_x1_5", {3, 224, 224}, [](const ZooOptions& o) { return build_shufflenet_v2(1.5, o); }},
      {"shufflenet_v2_x2_0", {3, 224, 224}, [](const ZooOptions& o) { return build_shufflenet_v2(2.0, o); }},
  }};
  return entries;
}

const Entry& find(std::string_view arch) {
  for (const Entry& e : table()) {
    if (e.name == arch) return e;
  }
  fail("unknown model '{}'; known models: {}", arch, fmt::join(zoo_names(), ", "));
}

}  // namespace

std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  for (const Entry& e : table()) names.emplace_back(e.name);
  return names;
}

Shape default_input(std::string_view arch) { return find(arch).input; }

Graph build_model(std::string_view arch, const ZooOptions& options) {
  const Entry& e = find(arch);
  ET_REQUIRE(options.num_classes >= 1, "{}: num_classes must be at least 1, got {}", arch, options.num_classes);
  ET_REQUIRE(options.input.rank() == 3, "{}: input must be {{C, H, W}}, got {}", arch, options.input.str());
  ET_REQUIRE(options.input[0] >= 1, "{}: input channels must be at least 1, got {}", arch, options.input[0]);
  ET_REQUIRE(options.input[1] >= 1 && options.input[2] >= 1, "{}: input height and width must be positive, got {}",
             arch, options.input.str());
  try {
    return e.build(options);
  } catch (const Error& err) {
    const std::string what = err.what();
    if (what.rfind(std::string(arch), 0) == 0) throw;  // already names the model
    fail("{} with input {}: {}", arch, options.input.str(), what);
  }
}

int adaptive_avg_pool(GraphBuilder& b, const std::string& name, int src, int64_t target, std::string_view arch,
                      std::string_view hint) {
  const int64_t h = b.shape(src)[2], w = b.shape(src)[3];
  ET_REQUIRE(h >= target && w >= target && h % target == 0 && w % target == 0,
             "{} needs an input whose feature map is a multiple of {}: the feature map before the classifier is "
             "{}x{}, which torchvision's AdaptiveAvgPool2d(({}, {})) would resample unevenly; use {}",
             arch, target, h, w, target, target, hint);
  if (h == target && w == target) return src;  // adaptive pooling to the same size is the identity
  AvgPoolAttrs a;
  a.kernel_h = a.stride_h = static_cast<int>(h / target);
  a.kernel_w = a.stride_w = static_cast<int>(w / target);
  return b.node(name, a, {src});
}

}  // namespace edgetrain::models
