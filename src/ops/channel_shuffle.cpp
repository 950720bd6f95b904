// ChannelShuffle: a permutation of the channels (see ChannelShuffleAttrs); backward applies the
// inverse permutation to diff_dst.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const ChannelShuffleAttrs& a, std::span<const Shape> src) {
  expect_inputs("ChannelShuffle", src, 1, -1);
  ET_REQUIRE(src[0].rank() >= 2, "ChannelShuffle: the input must have a channel axis, got {}", src[0].str());
  ET_REQUIRE(a.groups >= 1 && src[0][1] % a.groups == 0, "ChannelShuffle: {} channels do not split into {} groups",
             src[0][1], a.groups);
  return src[0];
}
BackwardReads reads(const ChannelShuffleAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
