// Pruned networks have odd channel counts, for which oneDNN 2.6 has no JIT convolution in blocked
// layouts and falls back to its naive loops ("ref:any", 10-100x slower), as it does for some depthwise
// shapes (MobileNetV2's bwd_weights on 1x1-2x2 maps): no oneDNN step of a zoo model or of its pruned
// variants may run a naive primitive or reorder (the convolution factory retries on plain layouts —
// oneDNN's GEMM-based convolution — and else declines for the native backend's im2col + GEMM kernel).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "graph/builder.hpp"
#include "io/model_io.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "compile/compile.hpp"

namespace edgetrain {
namespace {

bool runs_naive(std::string_view detail) {  // "jit:blk+x64:gemm:jit": reorders, then the primitive
  size_t start = 0;
  while (start <= detail.size()) {
    const size_t plus = detail.find('+', start);
    if (detail.compare(start, 4, "ref:") == 0) return true;
    if (plus == std::string::npos) return false;
    start = plus + 1;
  }
  return false;
}

TEST(NaiveKernels, NoStepOfZooOrPrunedModelsRunsOneDnnNaiveLoops) {
  struct Case {
    const char* arch;
    Shape chw;
    double width;
  };
  const Case cases[] = {{"fmnist-cnn", {1, 28, 28}, 1.0},   {"resnet20", {1, 28, 28}, 1.0},
                        {"mobilenet_v2", {3, 32, 32}, 0.5}, {"mobilenet_v2", {3, 64, 64}, 1.0},
                        {"squeezenet1_1", {3, 64, 64}, 1.0},
                        {"resnet18", {3, 32, 32}, 1.0},     {"mobilenet_v3_small", {3, 64, 64}, 1.0},
                        {"mobilenet_v3_large", {3, 64, 64}, 1.0}, {"efficientnet_b0", {3, 64, 64}, 1.0},
                        {"mnasnet0_5", {3, 64, 64}, 1.0},   {"shufflenet_v2_x1_0", {3, 64, 64}, 1.0}};
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
        if (!s.kernel || s.kernel->impl_name() != "onednn") continue;
        ++checked;
        EXPECT_FALSE(runs_naive(s.kernel->detail()))
            << c.arch << " pruned " << level << ": " << s.op << " " << pass_name(s.pass) << " " << s.problem
            << " runs oneDNN's " << s.kernel->detail();
      }
    }
  EXPECT_GT(checked, 1000);  // the models do run oneDNN steps
}

// Grouped convolutions of the widths ResNeXt (4 channels per group), RegNet (8, 16, 24, 48) and
// odd pruned widths use: every pass on a fast path.
TEST(NaiveKernels, GroupedConvolutionsOfEveryWidthAvoidNaiveLoops) {
  int checked = 0;
  for (int64_t width : {1, 2, 3, 4, 8, 12, 16, 24, 48})
    for (int64_t groups : {2, 8, 32}) {
      GraphBuilder b(Shape{3, 16, 16});
      int x = b.conv("stem", b.input(), width * groups, 3, 1, 1);
      x = b.conv("grouped", x, width * groups, 3, 2, 1, static_cast<int>(groups));
      x = b.conv("grouped_1x1", x, width * groups, 1, 1, 0, static_cast<int>(groups));
      x = b.linear("fc", b.flatten("flatten", b.global_avg_pool("pool", x)), 10);
      const Graph g = b.finish(x);
      CompileOptions o;
      o.batch = 8;
      const Plan plan = compile(g, o);
      for (const Step& s : plan.steps) {
        if (s.kind != StepKind::kernel || s.name.rfind("grouped", 0) != 0) continue;
        ++checked;
        EXPECT_EQ(s.kernel->impl_name(), "onednn") << s.name << " " << pass_name(s.pass) << " " << s.problem;
        EXPECT_FALSE(runs_naive(s.kernel->detail()))
            << s.name << " " << pass_name(s.pass) << " " << s.problem << " runs oneDNN's " << s.kernel->detail();
      }
    }
  EXPECT_EQ(checked, 9 * 3 * 2 * 3);
}

}  // namespace
}  // namespace edgetrain
