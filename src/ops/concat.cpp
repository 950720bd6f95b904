// Concat along channels: src_i [N, C_i, H, W] -> dst [N, sum C_i, H, W].
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const ConcatAttrs&, std::span<const Shape> src) {
  ET_REQUIRE(!src.empty(), "Concat: needs at least one input");
  Shape out = src[0];
  ET_REQUIRE(out.rank() >= 2, "Concat: inputs must have a channel axis, got {}", out.str());
  out[1] = 0;
  for (const Shape& s : src) {
    ET_REQUIRE(s.rank() == src[0].rank() && s.with_dim(1, 0) == src[0].with_dim(1, 0),
               "Concat: input {} does not match {} outside the channel axis", s.str(), src[0].str());
    out[1] += s[1];
  }
  return out;
}
BackwardReads reads(const ConcatAttrs&, Pass) { return {}; }

}  // namespace edgetrain::op_def
