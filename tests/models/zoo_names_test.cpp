// Parameter and node names equal torchvision's state_dict keys and module paths.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "models/zoo.hpp"
#include "zoo_test_util.hpp"

namespace edgetrain::models {
namespace {

Graph build(std::string_view arch, int64_t classes = 10, double width_mult = 1.0) {
  ZooOptions o;
  o.num_classes = classes;
  o.input = default_input(arch);
  o.width_mult = width_mult;
  return build_model(arch, o);
}

void expect_param(const Graph& g, const std::string& name, Shape shape) {
  const Slot* s = test::find_param(g, name);
  ASSERT_NE(s, nullptr) << "missing parameter " << name;
  EXPECT_EQ(s->shape, shape) << name;
}

void expect_state(const Graph& g, const std::string& name, Shape shape) {
  bool found = false;
  for (const Slot& s : g.states) {
    if (s.name == name) {
      found = true;
      EXPECT_EQ(s.shape, shape) << name;
    }
  }
  EXPECT_TRUE(found) << "missing state " << name;
}

TEST(ZooNames, ResNet) {
  const Graph r18 = build("resnet18", 1000);
  expect_param(r18, "conv1.weight", {64, 3, 7, 7});
  expect_param(r18, "bn1.weight", {64});
  expect_param(r18, "layer1.0.conv1.weight", {64, 64, 3, 3});
  expect_param(r18, "layer2.0.downsample.0.weight", {128, 64, 1, 1});
  expect_param(r18, "layer2.0.downsample.1.bias", {128});
  expect_param(r18, "layer4.1.bn2.weight", {512});
  expect_param(r18, "fc.weight", {1000, 512});
  expect_param(r18, "fc.bias", {1000});
  expect_state(r18, "layer4.1.bn2.running_mean", {512});
  expect_state(r18, "layer4.1.bn2.running_var", {512});
  EXPECT_EQ(test::find_param(r18, "layer1.0.downsample.0.weight"), nullptr);

  const Graph r50 = build("resnet50");
  expect_param(r50, "layer1.0.downsample.0.weight", {256, 64, 1, 1});
  expect_param(r50, "layer3.5.conv3.weight", {1024, 256, 1, 1});
  expect_param(r50, "fc.weight", {10, 2048});
  // v1.5: the stride sits on the 3x3 conv.
  const int conv2 = r50.find_node("layer2.0.conv2");
  ASSERT_GE(conv2, 0);
  EXPECT_EQ(std::get<Conv2dAttrs>(r50.nodes[conv2].attrs).stride_h, 2);
  EXPECT_EQ(std::get<Conv2dAttrs>(r50.nodes[r50.find_node("layer2.0.conv1")].attrs).stride_h, 1);

  const Graph r20 = build("resnet20");
  expect_param(r20, "layer3.2.conv2.weight", {64, 64, 3, 3});
  expect_param(r20, "layer2.0.downsample.0.weight", {32, 16, 1, 1});
  EXPECT_EQ(test::find_param(r20, "layer1.0.downsample.0.weight"), nullptr);
  expect_param(r20, "fc.weight", {10, 64});
}

TEST(ZooNames, MobileNetV2) {
  const Graph g = build("mobilenet_v2", 1000);
  expect_param(g, "features.0.0.weight", {32, 3, 3, 3});
  expect_param(g, "features.1.conv.0.0.weight", {32, 1, 3, 3});  // t = 1: no expansion conv
  expect_param(g, "features.1.conv.1.weight", {16, 32, 1, 1});
  expect_param(g, "features.1.conv.2.weight", {16});
  expect_param(g, "features.3.conv.0.0.weight", {144, 24, 1, 1});
  expect_param(g, "features.3.conv.1.0.weight", {144, 1, 3, 3});
  expect_param(g, "features.3.conv.3.bias", {24});
  expect_param(g, "features.18.0.weight", {1280, 320, 1, 1});
  expect_param(g, "features.18.1.weight", {1280});
  expect_param(g, "classifier.1.weight", {1000, 1280});
  EXPECT_GE(g.find_node("features.3.add"), 0);  // stride 1, 24 -> 24
  EXPECT_LT(g.find_node("features.2.add"), 0);  // stride 2

  const Graph half = build("mobilenet_v2", 10, 0.5);
  expect_param(half, "features.0.0.weight", {16, 3, 3, 3});
  expect_param(half, "features.18.0.weight", {1280, 160, 1, 1});
}

TEST(ZooNames, VggAlexNetSqueezeNetLeNet) {
  const Graph v11 = build("vgg11_bn", 1000);
  expect_param(v11, "features.0.weight", {64, 3, 3, 3});
  expect_param(v11, "features.1.weight", {64});
  expect_state(v11, "features.1.running_mean", {64});
  expect_param(v11, "features.25.weight", {512, 512, 3, 3});
  expect_param(v11, "classifier.0.weight", {4096, 25088});
  expect_param(v11, "classifier.6.weight", {1000, 4096});
  const Graph v16 = build("vgg16_bn");
  expect_param(v16, "features.40.weight", {512, 512, 3, 3});
  expect_param(v16, "features.41.bias", {512});

  const Graph alex = build("alexnet");
  expect_param(alex, "features.10.weight", {256, 256, 3, 3});
  expect_param(alex, "classifier.1.weight", {4096, 9216});
  expect_param(alex, "classifier.6.bias", {10});

  const Graph sq = build("squeezenet1_1");
  expect_param(sq, "features.0.weight", {64, 3, 3, 3});
  expect_param(sq, "features.3.squeeze.weight", {16, 64, 1, 1});
  expect_param(sq, "features.3.expand1x1.weight", {64, 16, 1, 1});
  expect_param(sq, "features.3.expand3x3.weight", {64, 16, 3, 3});
  expect_param(sq, "features.12.expand3x3.bias", {256});
  expect_param(sq, "classifier.1.weight", {10, 512, 1, 1});

  const Graph le = build("lenet5");
  expect_param(le, "features.0.weight", {6, 1, 5, 5});
  expect_param(le, "features.3.weight", {16, 6, 5, 5});
  expect_param(le, "classifier.0.weight", {120, 400});
  expect_param(le, "classifier.4.weight", {10, 84});

  const Graph fm = build("fmnist-cnn");
  expect_param(fm, "conv1.weight", {32, 1, 3, 3});
  expect_param(fm, "conv2.bias", {64});
  expect_param(fm, "fc1.weight", {128, 3136});
  expect_param(fm, "fc2.weight", {10, 128});
}

// Every parameter and BatchNorm buffer, by name and shape, against torchvision's state_dict
// (tests/models/torchvision_params.json, scripts/torchvision_param_counts.py): nothing missing,
// nothing extra.
TEST(ZooNames, StateDictsMatchTorchvision) {
  std::ifstream in(std::string(EDGETRAIN_SOURCE_DIR) + "/tests/models/torchvision_params.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json all = nlohmann::json::parse(in);
  ASSERT_GE(all.size(), 19u);
  for (const auto& [arch, entries] : all.items()) {
    SCOPED_TRACE(arch);
    std::map<std::string, std::vector<int64_t>> want, got;
    for (const auto& [name, shape] : entries.items()) want[name] = shape.get<std::vector<int64_t>>();
    const Graph g = build(arch);
    for (const Slot& s : g.params) EXPECT_TRUE(got.emplace(s.name, s.shape.dims()).second) << "twice: " << s.name;
    for (const Slot& s : g.states) EXPECT_TRUE(got.emplace(s.name, s.shape.dims()).second) << "twice: " << s.name;
    for (const auto& [name, shape] : want) {
      auto it = got.find(name);
      if (it == got.end()) {
        ADD_FAILURE() << "missing " << name;
        continue;
      }
      EXPECT_EQ(it->second, shape) << name;
    }
    for (const auto& [name, shape] : got) EXPECT_TRUE(want.contains(name)) << "not in torchvision: " << name;
  }
}

TEST(ZooNames, NodeNamesAreUniqueAndParamsEndInTorchSuffixes) {
  for (const std::string& arch : zoo_names()) {
    const Graph g = build(arch);
    std::set<std::string> nodes;
    for (const Node& n : g.nodes) EXPECT_TRUE(nodes.insert(n.name).second) << arch << ": " << n.name;
    for (const Slot& s : g.params) {
      EXPECT_TRUE(s.name.ends_with(".weight") || s.name.ends_with(".bias")) << arch << ": " << s.name;
    }
    for (const Slot& s : g.states) {
      EXPECT_TRUE(s.name.ends_with(".running_mean") || s.name.ends_with(".running_var")) << arch << ": " << s.name;
    }
  }
}

}  // namespace
}  // namespace edgetrain::models
