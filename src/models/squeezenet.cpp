// torchvision SqueezeNet 1.1: Fire modules, ceil-mode max pooling, a convolutional classifier.
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

// squeeze 1x1 -> ReLU -> [expand 1x1 -> ReLU, expand 3x3 -> ReLU] -> concat along channels
int fire(GraphBuilder& b, const std::string& p, int x, int64_t squeeze, int64_t expand1x1, int64_t expand3x3) {
  x = b.conv(p + ".squeeze", x, squeeze, 1, 1, 0, 1, /*bias=*/true);
  x = b.relu(p + ".squeeze_activation", x);
  int e1 = b.conv(p + ".expand1x1", x, expand1x1, 1, 1, 0, 1, /*bias=*/true);
  e1 = b.relu(p + ".expand1x1_activation", e1);
  int e3 = b.conv(p + ".expand3x3", x, expand3x3, 3, 1, 1, 1, /*bias=*/true);
  e3 = b.relu(p + ".expand3x3_activation", e3);
  return b.concat(p + ".cat", {e1, e3});
}

}  // namespace

Graph build_squeezenet1_1(const ZooOptions& o) {
  GraphBuilder b(o.input);
  int x = b.conv("features.0", b.input(), 64, 3, 2, 0, 1, /*bias=*/true);  // [1, 64, 111, 111] at 224
  x = b.relu("features.1", x);
  x = b.max_pool("features.2", x, 3, 2, 0, /*ceil_mode=*/true);            // [1, 64, 55, 55]
  x = fire(b, "features.3", x, 16, 64, 64);
  x = fire(b, "features.4", x, 16, 64, 64);
  x = b.max_pool("features.5", x, 3, 2, 0, /*ceil_mode=*/true);            // [1, 128, 27, 27]
  x = fire(b, "features.6", x, 32, 128, 128);
  x = fire(b, "features.7", x, 32, 128, 128);
  x = b.max_pool("features.8", x, 3, 2, 0, /*ceil_mode=*/true);            // [1, 256, 13, 13]
  x = fire(b, "features.9", x, 48, 192, 192);
  x = fire(b, "features.10", x, 48, 192, 192);
  x = fire(b, "features.11", x, 64, 256, 256);
  x = fire(b, "features.12", x, 64, 256, 256);                             // [1, 512, 13, 13]
  x = b.dropout("classifier.0", x, 0.5);
  x = b.conv("classifier.1", x, o.num_classes, 1, 1, 0, 1, /*bias=*/true);
  x = b.relu("classifier.2", x);
  x = b.global_avg_pool("classifier.3", x);                                // [1, K, 1, 1]
  x = b.flatten("flatten", x);
  return b.finish(x);
}

}  // namespace edgetrain::models
