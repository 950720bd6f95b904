// The two small models of scripts/make_golden.py, built with the same node names so parameter
// names match the PyTorch state_dict keys in the fixtures.
#pragma once
#include "graph/builder.hpp"

namespace edgetrain::golden {

inline Graph tiny_resnet() {
  GraphBuilder b(Shape{3, 16, 16});
  int x = b.conv("conv1", b.input(), 8, 3, 1, 1);
  x = b.relu("relu", b.batch_norm("bn1", x));
  x = b.max_pool("maxpool", x, 2, 2);
  int y = b.relu("layer1.relu1", b.batch_norm("layer1.bn1", b.conv("layer1.conv1", x, 8, 3, 1, 1)));
  y = b.batch_norm("layer1.bn2", b.conv("layer1.conv2", y, 8, 3, 1, 1));
  x = b.relu("layer1.relu2", b.add("layer1.add", y, x));
  y = b.relu("layer2.relu1", b.batch_norm("layer2.bn1", b.conv("layer2.conv1", x, 16, 3, 2, 1)));
  y = b.batch_norm("layer2.bn2", b.conv("layer2.conv2", y, 16, 3, 1, 1));
  int s = b.batch_norm("layer2.downsample.1", b.conv("layer2.downsample.0", x, 16, 1, 2, 0));
  x = b.relu("layer2.relu2", b.add("layer2.add", y, s));
  x = b.flatten("flatten", b.global_avg_pool("avgpool", x));
  return b.finish(b.linear("fc", x, 10));
}

inline Graph tiny_mbv2() {
  GraphBuilder b(Shape{3, 8, 8});
  int x = b.relu6("relu0", b.batch_norm("bn0", b.conv("conv0", b.input(), 8, 3, 1, 1)));
  int y = b.relu6("relu_e", b.batch_norm("bn_e", b.conv("expand", x, 24, 1)));
  y = b.relu6("relu_dw", b.batch_norm("bn_dw", b.conv("dw", y, 24, 3, 1, 1, 24)));
  y = b.batch_norm("bn_p", b.conv("project", y, 8, 1));
  x = b.add("add", y, x);
  x = b.relu("head_relu", b.conv("head", x, 16, 1, 1, 0, 1, true));
  x = b.flatten("flatten", b.avg_pool("pool", x, 2, 2));
  return b.finish(b.linear("fc", x, 10));
}

}  // namespace edgetrain::golden
