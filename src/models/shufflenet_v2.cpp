// torchvision 0.14 ShuffleNetV2 (x0.5, x1.0, x1.5, x2.0): a 3x3 stem and max pool, three stages of
// units that split the channels in two (stride 1: one half passes, the other goes through 1x1 -
// depthwise 3x3 - 1x1; stride 2: both branches downsample), concatenate and shuffle them (2 groups),
// a 1x1 conv5, the mean over H, W and a Linear layer.
#include <array>

#include "core/check.hpp"
#include "models/families.hpp"

namespace edgetrain::models {
namespace {

int conv_bn(GraphBuilder& b, const std::string& p, int conv, int bn, int x, int64_t out, int kernel, int stride,
            int groups) {
  x = b.conv(p + "." + std::to_string(conv), x, out, kernel, stride, kernel / 2, groups);
  return b.batch_norm(p + "." + std::to_string(bn), x);
}

// branch2 (and branch1 when downsampling): "<p>.branch<k>.<i>" as torchvision's Sequentials index them.
int unit(GraphBuilder& b, const std::string& p, int x, int64_t out, int stride) {
  const int64_t half = out / 2, in = b.channels(x);
  int left, right;
  if (stride == 1) {
    left = b.channel_slice(p + ".chunk0", x, 0, in / 2);
    right = b.channel_slice(p + ".chunk1", x, in / 2, in);
  } else {
    const std::string b1 = p + ".branch1";
    left = conv_bn(b, b1, 0, 1, x, in, 3, stride, static_cast<int>(in));
    left = conv_bn(b, b1, 2, 3, left, half, 1, 1, 1);
    left = b.relu(b1 + ".4", left);
    right = x;
  }
  const std::string b2 = p + ".branch2";
  right = conv_bn(b, b2, 0, 1, right, half, 1, 1, 1);
  right = b.relu(b2 + ".2", right);
  right = conv_bn(b, b2, 3, 4, right, half, 3, stride, static_cast<int>(half));
  right = conv_bn(b, b2, 5, 6, right, half, 1, 1, 1);
  right = b.relu(b2 + ".7", right);
  return b.channel_shuffle(p + ".shuffle", b.concat(p + ".concat", {left, right}), 2);
}

}  // namespace

Graph build_shufflenet_v2(double width, const ZooOptions& o) {
  std::array<int64_t, 5> channels{};
  if (width == 0.5)
    channels = {24, 48, 96, 192, 1024};
  else if (width == 1.0)
    channels = {24, 116, 232, 464, 1024};
  else if (width == 1.5)
    channels = {24, 176, 352, 704, 1024};
  else if (width == 2.0)
    channels = {24, 244, 488, 976, 2048};
  else
    fail("shufflenet_v2: width {} is not one of torchvision's 0.5, 1.0, 1.5, 2.0", width);
  constexpr std::array<int, 3> kRepeats{4, 8, 4};
  GraphBuilder b(o.input);
  int x = b.conv("conv1.0", b.input(), channels[0], 3, 2, 1);
  x = b.relu("conv1.2", b.batch_norm("conv1.1", x));
  x = b.max_pool("maxpool", x, 3, 2, 1);
  for (size_t s = 0; s < kRepeats.size(); ++s)
    for (int k = 0; k < kRepeats[s]; ++k)
      x = unit(b, "stage" + std::to_string(s + 2) + "." + std::to_string(k), x, channels[s + 1], k == 0 ? 2 : 1);
  x = b.conv("conv5.0", x, channels[4], 1, 1, 0);
  x = b.relu("conv5.2", b.batch_norm("conv5.1", x));
  x = b.global_avg_pool("mean", x);
  x = b.flatten("flatten", x);
  x = b.linear("fc", x, o.num_classes);
  return b.finish(x);
}

}  // namespace edgetrain::models
