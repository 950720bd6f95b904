// Internal: one builder per model family (the options are already validated by build_model).
#pragma once
#include <string>

#include "graph/builder.hpp"
#include "models/zoo.hpp"

namespace edgetrain::models {

Graph build_fmnist_cnn(const ZooOptions& o);
Graph build_lenet5(const ZooOptions& o);
Graph build_resnet(int depth, const ZooOptions& o);         // 18, 34 (BasicBlock), 50 (Bottleneck)
Graph build_resnet_cifar(int depth, const ZooOptions& o);   // 20, 56 (6n + 2)
Graph build_mobilenet_v2(const ZooOptions& o);
Graph build_vgg(int depth, const ZooOptions& o);            // 11, 16 (with BatchNorm)
Graph build_alexnet(const ZooOptions& o);
Graph build_squeezenet1_1(const ZooOptions& o);
Graph build_mobilenet_v3(bool large, const ZooOptions& o);
Graph build_efficientnet(int variant, const ZooOptions& o);   // b0 .. b3
Graph build_mnasnet(double alpha, const ZooOptions& o);       // 0.5, 0.75, 1.0, 1.3
Graph build_shufflenet_v2(double width, const ZooOptions& o);  // 0.5, 1.0, 1.5, 2.0

// --- torchvision's building blocks (torchvision_blocks.cpp) ---

// torchvision's _make_divisible(v, divisor): the nearest multiple of divisor, at least divisor, and
// never more than 10 % below v.
int64_t make_divisible(double v, int64_t divisor = 8);

enum class Act { none, relu, relu6, hard_swish, silu };
// The activation as its own layer named `name` (none: x itself).
int activation(GraphBuilder& b, const std::string& name, int x, Act act);

struct NormOptions {
  double eps = 1e-5, momentum = 0.1;
};
// Conv2dNormActivation: conv (no bias, padding (k - 1) / 2) "<p>.0", BatchNorm "<p>.1", activation "<p>.2".
int conv_norm_act(GraphBuilder& b, const std::string& p, int x, int64_t out, int kernel, int stride, int groups,
                  Act act, const NormOptions& norm);
// The head of MobileNetV2, MNASNet and EfficientNet: global average pooling ("<pool>"), flatten,
// Dropout "classifier.0" and Linear "classifier.1"; returns the finished graph.
Graph pooled_classifier(GraphBuilder& b, const std::string& pool, int x, double dropout, int64_t num_classes);

// SqueezeExcitation: x * gate(fc2(act(fc1(avgpool(x))))), fc1/fc2 1x1 convolutions with bias named
// "<p>.fc1", "<p>.fc2"; the gate is Hardsigmoid (hard_gate, MobileNetV3) or Sigmoid (EfficientNet).
int squeeze_excitation(GraphBuilder& b, const std::string& p, int x, int64_t squeeze, Act act, bool hard_gate);

// ResNet BasicBlock named like torchvision's `prefix`: conv3x3(stride) - bn - relu - conv3x3 - bn,
// plus the identity or a 1x1 conv + BN projection where the shape changes, then add and relu.
int basic_block(GraphBuilder& b, const std::string& prefix, int x, int64_t planes, int stride);

// torchvision's AdaptiveAvgPool2d((target, target)), reproduced exactly where the feature map is
// target * k on each side (k = 1: nothing to do; k > 1: average pool with kernel = stride = k).
// Otherwise throws Error naming `arch` and `hint` (the input sizes that work).
int adaptive_avg_pool(GraphBuilder& b, const std::string& name, int src, int64_t target, std::string_view arch,
                      std::string_view hint);

}  // namespace edgetrain::models
