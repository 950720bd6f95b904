// SoftmaxCrossEntropy: (logits [N, K], labels [N] i32) -> dst [1] = mean_n -log softmax(logits_n)[label_n].
// Forward also writes the predicted class of each sample (aux "prediction" [N] i32) for metrics.
// bwd_data writes d(loss)/d(logits) = (softmax - onehot) / N directly: the loss is the seed.
#include "core/check.hpp"
#include "ops/op_defs.hpp"

namespace edgetrain::op_def {

Shape infer(const SoftmaxCrossEntropyAttrs&, std::span<const Shape> src) {
  ET_REQUIRE(src.size() == 2 && src[0].rank() == 2 && src[1].rank() == 1 && src[0][0] == src[1][0],
             "SoftmaxCrossEntropy: expects logits [N, K] and labels [N], got {} inputs", src.size());
  return Shape{1};
}
std::vector<AuxSpec> aux(const SoftmaxCrossEntropyAttrs&, std::span<const Shape> src, const Shape&, bool) {
  return {{"prediction", Shape{src[0][0]}, DType::i32}};
}
BackwardReads reads(const SoftmaxCrossEntropyAttrs&, Pass) { return {.src = true}; }

}  // namespace edgetrain::op_def
