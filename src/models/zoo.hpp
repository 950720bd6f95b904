// Network zoo: builds the training graphs of well-known CNNs. Node names equal torchvision's module
// paths, so parameter names equal torchvision state_dict keys ("layer1.0.conv1.weight").
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/shape.hpp"
#include "graph/graph.hpp"

namespace edgetrain::models {

struct ZooOptions {
  int64_t num_classes = 10;
  Shape input{1, 28, 28};  // {C, H, W}
  double width_mult = 1.0;  // mobilenet_v2 and mobilenet_v3_* only
};

// Builds `arch` (one of zoo_names()); throws Error listing the known names for an unknown arch, and
// Error for options the architecture cannot honour (too small an input, bad class count, ...).
Graph build_model(std::string_view arch, const ZooOptions& options);

// "fmnist-cnn", "lenet5", "resnet18", "resnet34", "resnet50", "resnet20", "resnet56", "mobilenet_v2",
// "vgg11_bn", "vgg16_bn", "alexnet", "squeezenet1_1", "mobilenet_v3_small", "mobilenet_v3_large",
// "efficientnet_b0" .. "efficientnet_b3", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
// "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0".
std::vector<std::string> zoo_names();

// The input each architecture was designed for: fmnist-cnn/lenet5 {1,28,28}; resnet20/56 {3,32,32};
// the ImageNet models {3,224,224}. Throws Error for an unknown arch.
Shape default_input(std::string_view arch);

}  // namespace edgetrain::models
