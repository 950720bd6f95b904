// Output shapes for other class counts and input sizes, and the inputs the zoo refuses.
#include <gtest/gtest.h>

#include <string>

#include "edgetrain/error.hpp"
#include "models/zoo.hpp"
#include "zoo_test_util.hpp"

namespace edgetrain::models {
namespace {

Shape logits_shape(std::string_view arch, int64_t classes, Shape input, double width_mult = 1.0) {
  ZooOptions o;
  o.num_classes = classes;
  o.input = input;
  o.width_mult = width_mult;
  const Graph g = build_model(arch, o);
  return g.values[g.logits].shape;
}

// Message of the Error thrown by build_model, or "" if none was thrown.
std::string build_error(std::string_view arch, ZooOptions o) {
  try {
    build_model(arch, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ZooShapes, LogitsForSeveralClassCountsAndSizes) {
  EXPECT_EQ(logits_shape("resnet18", 10, {3, 32, 32}), (Shape{1, 10}));
  EXPECT_EQ(logits_shape("resnet18", 7, {3, 64, 64}), (Shape{1, 7}));
  EXPECT_EQ(logits_shape("resnet50", 3, {3, 64, 64}), (Shape{1, 3}));
  EXPECT_EQ(logits_shape("resnet34", 1, {1, 48, 40}), (Shape{1, 1}));
  EXPECT_EQ(logits_shape("mobilenet_v2", 5, {3, 96, 96}), (Shape{1, 5}));
  EXPECT_EQ(logits_shape("mobilenet_v2", 100, {3, 96, 96}, 0.35), (Shape{1, 100}));
  EXPECT_EQ(logits_shape("mobilenet_v2", 10, {3, 96, 96}, 1.4), (Shape{1, 10}));
  EXPECT_EQ(logits_shape("resnet20", 10, {1, 28, 28}), (Shape{1, 10}));
  EXPECT_EQ(logits_shape("resnet56", 100, {3, 32, 32}), (Shape{1, 100}));
  EXPECT_EQ(logits_shape("squeezenet1_1", 37, {3, 96, 96}), (Shape{1, 37}));
  EXPECT_EQ(logits_shape("lenet5", 2, {1, 28, 28}), (Shape{1, 2}));
  EXPECT_EQ(logits_shape("fmnist-cnn", 47, {1, 28, 28}), (Shape{1, 47}));
  EXPECT_EQ(logits_shape("vgg11_bn", 2, {3, 224, 224}), (Shape{1, 2}));
  EXPECT_EQ(logits_shape("alexnet", 1000, {3, 224, 224}), (Shape{1, 1000}));
  EXPECT_EQ(logits_shape("mobilenet_v3_small", 4, {1, 28, 28}), (Shape{1, 4}));
  EXPECT_EQ(logits_shape("mobilenet_v3_large", 10, {3, 64, 64}, 0.75), (Shape{1, 10}));
  EXPECT_EQ(logits_shape("efficientnet_b0", 3, {3, 32, 32}), (Shape{1, 3}));
  EXPECT_EQ(logits_shape("mnasnet1_0", 10, {1, 28, 28}), (Shape{1, 10}));
  EXPECT_EQ(logits_shape("shufflenet_v2_x1_0", 6, {3, 40, 56}), (Shape{1, 6}));
}

TEST(ZooShapes, AdaptivePoolingAtIntegerMultiples) {
  // 448x448: VGG's feature map is 14x14, pooled 2x2 to 7x7 exactly as AdaptiveAvgPool2d does.
  ZooOptions o;
  o.input = Shape{3, 448, 448};
  const Graph g = build_model("vgg11_bn", o);
  const int pool = g.find_node("avgpool");
  ASSERT_GE(pool, 0);
  ASSERT_TRUE(is<AvgPoolAttrs>(g.nodes[pool].attrs));
  const auto& a = std::get<AvgPoolAttrs>(g.nodes[pool].attrs);
  EXPECT_EQ(a.kernel_h, 2);
  EXPECT_EQ(a.stride_w, 2);
  EXPECT_EQ(g.values[g.nodes[pool].output].shape, (Shape{1, 512, 7, 7}));
  // 224x224: already 7x7, so there is no pooling node at all.
  o.input = Shape{3, 224, 224};
  EXPECT_LT(build_model("vgg16_bn", o).find_node("avgpool"), 0);
}

TEST(ZooShapes, UnknownArchListsTheKnownNames) {
  const std::string msg = build_error("resnet19", ZooOptions{});
  EXPECT_NE(msg.find("resnet19"), std::string::npos) << msg;
  for (const std::string& name : zoo_names()) EXPECT_NE(msg.find(name), std::string::npos) << name << ": " << msg;
  EXPECT_THROW(default_input("nope"), Error);
}

TEST(ZooShapes, ZooNames) {
  const std::vector<std::string> expected{
      "fmnist-cnn",         "lenet5",             "resnet18",           "resnet34",        "resnet50",
      "resnet20",           "resnet56",           "mobilenet_v2",       "vgg11_bn",        "vgg16_bn",
      "alexnet",            "squeezenet1_1",      "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
      "efficientnet_b1",    "efficientnet_b2",    "efficientnet_b3",    "mnasnet0_5",      "mnasnet0_75",
      "mnasnet1_0",         "mnasnet1_3",         "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
      "shufflenet_v2_x2_0"};
  EXPECT_EQ(zoo_names(), expected);
}

TEST(ZooShapes, TooSmallOrUnevenInputsAreRefused) {
  ZooOptions o;
  o.input = Shape{3, 16, 16};
  std::string msg = build_error("resnet18", o);
  EXPECT_NE(msg.find("32x32"), std::string::npos) << msg;

  o.input = Shape{3, 64, 31};
  EXPECT_NE(build_error("resnet50", o), "");

  o.input = Shape{3, 100, 100};
  msg = build_error("vgg11_bn", o);
  EXPECT_NE(msg.find("vgg11_bn"), std::string::npos) << msg;
  EXPECT_NE(msg.find("multiple of 7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("224x224"), std::string::npos) << msg;

  msg = build_error("alexnet", o);
  EXPECT_NE(msg.find("multiple of 6"), std::string::npos) << msg;

  o.input = Shape{1, 8, 8};
  msg = build_error("lenet5", o);
  EXPECT_NE(msg.find("lenet5"), std::string::npos) << msg;
}

TEST(ZooShapes, InvalidOptionsAreRefused) {
  ZooOptions o;
  o.num_classes = 0;
  EXPECT_NE(build_error("fmnist-cnn", o).find("num_classes"), std::string::npos);
  o = ZooOptions{};
  o.input = Shape{0, 28, 28};
  EXPECT_NE(build_error("fmnist-cnn", o).find("channels"), std::string::npos);
  o = ZooOptions{};
  o.input = Shape{3, 224, 224};
  o.width_mult = 0.0;
  EXPECT_NE(build_error("mobilenet_v2", o).find("width_mult"), std::string::npos);
}

}  // namespace
}  // namespace edgetrain::models
