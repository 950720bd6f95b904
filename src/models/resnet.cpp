// torchvision ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck, v1.5: stride on the 3x3 conv).
#include <array>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {

int basic_block(GraphBuilder& b, const std::string& p, int x, int64_t planes, int stride) {
  int y = b.conv(p + ".conv1", x, planes, 3, stride, 1);
  y = b.batch_norm(p + ".bn1", y);
  y = b.relu(p + ".relu1", y);
  y = b.conv(p + ".conv2", y, planes, 3, 1, 1);
  y = b.batch_norm(p + ".bn2", y);
  int shortcut = x;
  if (stride != 1 || b.channels(x) != planes) {
    shortcut = b.conv(p + ".downsample.0", x, planes, 1, stride, 0);
    shortcut = b.batch_norm(p + ".downsample.1", shortcut);
  }
  y = b.add(p + ".add", y, shortcut);
  return b.relu(p + ".relu2", y);
}

namespace {

// conv1x1 - bn - relu - conv3x3(stride) - bn - relu - conv1x1(4x) - bn (+ shortcut) - relu
int bottleneck(GraphBuilder& b, const std::string& p, int x, int64_t planes, int stride) {
  const int64_t out = planes * 4;
  int y = b.conv(p + ".conv1", x, planes, 1, 1, 0);
  y = b.batch_norm(p + ".bn1", y);
  y = b.relu(p + ".relu1", y);
  y = b.conv(p + ".conv2", y, planes, 3, stride, 1);
  y = b.batch_norm(p + ".bn2", y);
  y = b.relu(p + ".relu2", y);
  y = b.conv(p + ".conv3", y, out, 1, 1, 0);
  y = b.batch_norm(p + ".bn3", y);
  int shortcut = x;
  if (stride != 1 || b.channels(x) != out) {
    shortcut = b.conv(p + ".downsample.0", x, out, 1, stride, 0);
    shortcut = b.batch_norm(p + ".downsample.1", shortcut);
  }
  y = b.add(p + ".add", y, shortcut);
  return b.relu(p + ".relu3", y);
}

}  // namespace

Graph build_resnet(int depth, const ZooOptions& o) {
  std::array<int, 4> blocks{};
  bool use_bottleneck = false;
  switch (depth) {
    case 18: blocks = {2, 2, 2, 2}; break;
    case 34: blocks = {3, 4, 6, 3}; break;
    case 50: blocks = {3, 4, 6, 3}; use_bottleneck = true; break;
    default: fail("resnet{}: unsupported depth (use 18, 34 or 50)", depth);
  }
  ET_REQUIRE(o.input[1] >= 32 && o.input[2] >= 32,
             "resnet{}: input {}x{} is too small; the network downsamples by 32, so use at least 32x32 "
             "(224x224 is the ImageNet size)",
             depth, o.input[1], o.input[2]);
  GraphBuilder b(o.input);
  int x = b.conv("conv1", b.input(), 64, 7, 2, 3);  // [1, 64, H/2, W/2]
  x = b.batch_norm("bn1", x);
  x = b.relu("relu", x);
  x = b.max_pool("maxpool", x, 3, 2, 1);            // [1, 64, H/4, W/4]
  const std::array<int64_t, 4> planes{64, 128, 256, 512};
  for (int l = 0; l < 4; ++l) {
    for (int i = 0; i < blocks[l]; ++i) {
      const std::string p = "layer" + std::to_string(l + 1) + "." + std::to_string(i);
      const int stride = (l > 0 && i == 0) ? 2 : 1;
      x = use_bottleneck ? bottleneck(b, p, x, planes[l], stride) : basic_block(b, p, x, planes[l], stride);
    }
  }
  x = b.global_avg_pool("avgpool", x);  // [1, 512 or 2048, 1, 1]
  x = b.flatten("flatten", x);
  x = b.linear("fc", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
