// Parameter and BatchNorm-buffer counts against torchvision (tests/models/torchvision_counts.json).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "models/zoo.hpp"
#include "zoo_test_util.hpp"

namespace edgetrain::models {
namespace {

using test::param_count;
using test::state_count;

nlohmann::json load_counts() {
  std::ifstream in(std::string(EDGETRAIN_SOURCE_DIR) + "/tests/models/torchvision_counts.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

// The JSON names the custom CIFAR ResNets "<name>_cifar"; the zoo calls them "resnet20"/"resnet56".
std::string zoo_arch(const std::string& json_arch) {
  const std::string suffix = "_cifar";
  if (json_arch.size() > suffix.size() && json_arch.ends_with(suffix)) {
    return json_arch.substr(0, json_arch.size() - suffix.size());
  }
  return json_arch;
}

TEST(ZooCounts, MatchTorchvisionExactly) {
  const nlohmann::json counts = load_counts();
  ASSERT_GE(counts.size(), 24u);
  for (const auto& e : counts) {
    const std::string arch = zoo_arch(e.at("arch").get<std::string>());
    ZooOptions o;
    o.num_classes = e.at("num_classes").get<int64_t>();
    o.input = default_input(arch);
    if (!e.at("width_mult").is_null()) o.width_mult = e.at("width_mult").get<double>();
    SCOPED_TRACE(fmt::format("{} num_classes={} width_mult={} input={}", arch, o.num_classes, o.width_mult,
                             o.input.str()));
    const Graph g = build_model(arch, o);
    EXPECT_EQ(param_count(g), e.at("params").get<int64_t>());
    EXPECT_EQ(state_count(g), e.at("bn_buffers").get<int64_t>());
    EXPECT_EQ(g.num_classes(), o.num_classes);
  }
}

TEST(ZooCounts, DefaultInputs) {
  EXPECT_EQ(default_input("fmnist-cnn"), (Shape{1, 28, 28}));
  EXPECT_EQ(default_input("lenet5"), (Shape{1, 28, 28}));
  EXPECT_EQ(default_input("resnet20"), (Shape{3, 32, 32}));
  EXPECT_EQ(default_input("resnet56"), (Shape{3, 32, 32}));
  EXPECT_EQ(default_input("efficientnet_b3"), (Shape{3, 300, 300}));
  for (const char* a : {"resnet18", "resnet34", "resnet50", "mobilenet_v2", "vgg11_bn", "vgg16_bn", "alexnet",
                        "squeezenet1_1", "mobilenet_v3_large", "efficientnet_b0", "mnasnet1_0", "shufflenet_v2_x1_0"}) {
    EXPECT_EQ(default_input(a), (Shape{3, 224, 224})) << a;
  }
}

TEST(ZooCounts, FmnistCnn) {
  ZooOptions o;  // 10 classes, 1x28x28
  const Graph g = build_model("fmnist-cnn", o);
  EXPECT_EQ(param_count(g), 421642);
  EXPECT_EQ(state_count(g), 0);
  // fc1 follows the input size: 64 * 8 * 8 at 32x32.
  o.input = Shape{3, 32, 32};
  const Graph g32 = build_model("fmnist-cnn", o);
  const Slot* fc1 = test::find_param(g32, "fc1.weight");
  ASSERT_NE(fc1, nullptr);
  EXPECT_EQ(fc1->shape, (Shape{128, 64 * 8 * 8}));
}

TEST(ZooCounts, EveryZooModelBuildsAtItsDefaultInput) {
  for (const std::string& arch : zoo_names()) {
    ZooOptions o;
    o.input = default_input(arch);
    const Graph g = build_model(arch, o);
    EXPECT_EQ(g.values[g.logits].shape, (Shape{1, 10})) << arch;
    EXPECT_GE(g.loss, 0) << arch;
  }
}

}  // namespace
}  // namespace edgetrain::models
