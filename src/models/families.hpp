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

// ResNet BasicBlock named like torchvision's `prefix`: conv3x3(stride) - bn - relu - conv3x3 - bn,
// plus the identity or a 1x1 conv + BN projection where the shape changes, then add and relu.
int basic_block(GraphBuilder& b, const std::string& prefix, int x, int64_t planes, int stride);

// torchvision's AdaptiveAvgPool2d((target, target)), reproduced exactly where the feature map is
// target * k on each side (k = 1: nothing to do; k > 1: average pool with kernel = stride = k).
// Otherwise throws Error naming `arch` and `hint` (the input sizes that work).
int adaptive_avg_pool(GraphBuilder& b, const std::string& name, int src, int64_t target, std::string_view arch,
                      std::string_view hint);

}  // namespace edgetrain::models
