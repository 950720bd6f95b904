// torchvision VGG-11/16 with BatchNorm ("vgg11_bn", "vgg16_bn").
#include <vector>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {

Graph build_vgg(int depth, const ZooOptions& o) {
  constexpr int M = 0;  // max pool
  std::vector<int> cfg;
  switch (depth) {
    case 11: cfg = {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}; break;
    case 16: cfg = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M}; break;
    default: fail("vgg{}_bn: unsupported depth (use 11 or 16)", depth);
  }
  const std::string arch = "vgg" + std::to_string(depth) + "_bn";
  GraphBuilder b(o.input);
  int x = b.input();
  int i = 0;  // index into "features"
  for (int c : cfg) {
    if (c == M) {
      x = b.max_pool("features." + std::to_string(i++), x, 2, 2);
    } else {
      x = b.conv("features." + std::to_string(i++), x, c, 3, 1, 1, 1, /*bias=*/true);
      x = b.batch_norm("features." + std::to_string(i++), x);
      x = b.relu("features." + std::to_string(i++), x);
    }
  }
  // [1, 512, H/32, W/32] -> AdaptiveAvgPool2d((7, 7))
  x = adaptive_avg_pool(b, "avgpool", x, 7, arch, "224x224 (any side from 224k to 224k+31, k >= 1)");
  x = b.flatten("flatten", x);  // [1, 25088]
  x = b.linear("classifier.0", x, 4096);
  x = b.relu("classifier.1", x);
  x = b.dropout("classifier.2", x, 0.5);
  x = b.linear("classifier.3", x, 4096);
  x = b.relu("classifier.4", x);
  x = b.dropout("classifier.5", x, 0.5);
  x = b.linear("classifier.6", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
