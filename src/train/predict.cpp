#include "train/predict.hpp"

#include <algorithm>

#include "compile/compile.hpp"
#include "core/check.hpp"
#include "runtime/executor.hpp"

namespace edgetrain {

std::vector<float> predict_logits(const Network& model, const float* images, int64_t n, BackendChoice backend) {
  ET_REQUIRE(n > 0, "predict_logits: no images");
  CompileOptions o;
  o.batch = n;
  o.training = false;
  o.backend = backend;
  Plan plan = compile(model.graph, o);
  Executor exec(plan, model.params, nullptr);
  std::vector<int32_t> labels(static_cast<size_t>(n), 0);
  exec.run(images, labels.data());
  ET_ASSERT(plan.logits_buffer >= 0);
  const auto* v = reinterpret_cast<const float*>(exec.buffer_data(plan.logits_buffer));
  return std::vector<float>(v, v + n * model.graph.num_classes());
}

}  // namespace edgetrain
