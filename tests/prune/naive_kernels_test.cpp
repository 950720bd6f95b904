// Pruned networks have odd channel counts, for which oneDNN 2.6 has no JIT convolution and falls back
// to its naive loops ("ref:any", 10-100x slower): no convolution step of a zoo model or of its pruned
// variants with a plain side (input or output) may run there (the oneDNN factory declines, edgetrain's
// reference GEMM kernel takes it). With both sides blocked the factory keeps oneDNN (declining would
// demote the neighbours to plain): MobileNetV2's depthwise bwd_weights on 1x1-2x2 maps still run naive.
#include <gtest/gtest.h>

#include <string>

#include "io/model_io.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "runtime/compile.hpp"

namespace edgetrain {
namespace {

TEST(NaiveKernels, NoConvolutionOfZooOrPrunedModelsRunsOneDnnNaiveLoops) {
  struct Case {
    const char* arch;
    Shape chw;
    double width;
  };
  const Case cases[] = {{"fmnist-cnn", {1, 28, 28}, 1.0},   {"resnet20", {1, 28, 28}, 1.0},
                        {"mobilenet_v2", {3, 32, 32}, 0.5}, {"squeezenet1_1", {3, 64, 64}, 1.0},
                        {"resnet18", {3, 32, 32}, 1.0}};
  int checked = 0;
  for (const Case& c : cases)
    for (double level : {0.0, 0.5, 0.8}) {
      Network m = io::make_zoo_model(c.arch, 10, c.chw, c.width, 1);
      if (level > 0) {
        const prune::ChannelGroups groups = prune::analyse_channels(m.graph);
        const auto scores = prune::channel_scores(m, groups, prune::Criterion::l1, 1);
        m = prune::apply_pruning(m, groups, prune::choose_channels(m, groups, scores, level).keep);
      }
      CompileOptions o;
      o.batch = 8;
      const Plan plan = compile(m.graph, o);
      for (const Step& s : plan.steps) {
        if (!s.kernel || s.kernel->impl_name() != "onednn" || s.op != "Conv2d") continue;
        const Node& n = m.graph.nodes[static_cast<size_t>(s.node)];
        if (plan.value_layouts[static_cast<size_t>(n.inputs[0])] != Layout::plain &&
            plan.value_layouts[static_cast<size_t>(n.output)] != Layout::plain)
          continue;
        ++checked;
        EXPECT_FALSE(std::string(s.kernel->detail()).starts_with("ref"))
            << c.arch << " pruned " << level << ": " << s.op << " " << pass_name(s.pass) << " " << s.problem
            << " runs oneDNN's " << s.kernel->detail();
      }
    }
  EXPECT_GT(checked, 100);  // the models do run oneDNN convolutions with a plain side
}

}  // namespace
}  // namespace edgetrain
