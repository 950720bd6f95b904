// CIFAR ResNet-20/56 (He et al. 2016, 6n + 2 layers, projection shortcuts where the shape changes),
// as defined in scripts/torchvision_param_counts.py.
#include <array>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {

Graph build_resnet_cifar(int depth, const ZooOptions& o) {
  ET_REQUIRE(depth >= 8 && (depth - 2) % 6 == 0, "resnet{}: CIFAR ResNets have 6n + 2 layers (20, 56, ...)",
             depth);
  ET_REQUIRE(o.input[1] >= 8 && o.input[2] >= 8,
             "resnet{}: input {}x{} is too small; the network downsamples by 4, so use at least 8x8 "
             "(32x32 is the CIFAR size)",
             depth, o.input[1], o.input[2]);
  const int n = (depth - 2) / 6;
  GraphBuilder b(o.input);
  int x = b.conv("conv1", b.input(), 16, 3, 1, 1);  // [1, 16, H, W]
  x = b.batch_norm("bn1", x);
  x = b.relu("relu", x);
  const std::array<int64_t, 3> widths{16, 32, 64};
  for (int l = 0; l < 3; ++l) {
    for (int i = 0; i < n; ++i) {
      const std::string p = "layer" + std::to_string(l + 1) + "." + std::to_string(i);
      const int stride = (l > 0 && i == 0) ? 2 : 1;
      x = basic_block(b, p, x, widths[l], stride);
    }
  }
  x = b.global_avg_pool("avgpool", x);  // [1, 64, 1, 1]
  x = b.flatten("flatten", x);
  x = b.linear("fc", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
