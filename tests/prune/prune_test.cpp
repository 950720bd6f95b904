// Structured pruning on any graph: the dependency analysis finds the right groups (residual streams,
// depthwise followers, concatenation, flatten blocks), pruning at 0 % changes nothing bit for bit, and
// every zoo model prunes to the asked level, keeps consistent shapes, trains and exports.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "compile/compile.hpp"
#include "graph/builder.hpp"
#include "integration/synthetic.hpp"
#include "io/model_io.hpp"
#include "io/onnx/onnx_model.hpp"
#include "models/zoo.hpp"
#include "prune/data_criteria.hpp"
#include "prune/pruner.hpp"
#include "prune/ranking.hpp"
#include "runtime/executor.hpp"
#include "train/predict.hpp"

namespace edgetrain {
namespace {

using namespace prune;

Network zoo(const std::string& arch, Shape in = {}) {
  if (in.rank() != 3) in = models::default_input(arch);
  return io::make_zoo_model(arch, 10, in, 1.0, 7);
}

int group_of_source(const Graph& g, const ChannelGroups& cg, const std::string& node) {
  const int id = g.find_node(node);
  for (size_t k = 0; k < cg.groups.size(); ++k)
    for (int s : cg.groups[k].sources)
      if (s == id) return static_cast<int>(k);
  return -1;
}

TEST(ChannelGroups, ResNetResidualStreamsAreOneGroupEach) {
  const Network m = zoo("resnet18");
  const ChannelGroups cg = analyse_channels(m.graph);
  // The stem and layer1's second convolutions feed one stream; each later stage's downsample too.
  const int stem = group_of_source(m.graph, cg, "conv1");
  EXPECT_EQ(stem, group_of_source(m.graph, cg, "layer1.0.conv2"));
  EXPECT_EQ(stem, group_of_source(m.graph, cg, "layer1.1.conv2"));
  for (const char* stage : {"layer2", "layer3", "layer4"}) {
    const std::string s = stage;
    const int g = group_of_source(m.graph, cg, s + ".0.downsample.0");
    EXPECT_EQ(g, group_of_source(m.graph, cg, s + ".0.conv2")) << s;
    EXPECT_EQ(g, group_of_source(m.graph, cg, s + ".1.conv2")) << s;
    EXPECT_EQ(cg.groups[g].sources.size(), 3u) << s;
  }
  // Inside a block the first convolution's channels are its own.
  const int inner = group_of_source(m.graph, cg, "layer2.0.conv1");
  EXPECT_EQ(cg.groups[inner].sources.size(), 1u);
  EXPECT_FALSE(cg.groups[inner].fixed);
  EXPECT_TRUE(cg.groups[group_of_source(m.graph, cg, "fc")].fixed);  // the logits
}

TEST(ChannelGroups, DepthwiseConvolutionsFollowTheirProducer) {
  const Network m = zoo("mobilenet_v2");
  const ChannelGroups cg = analyse_channels(m.graph);
  const int expand = group_of_source(m.graph, cg, "features.2.conv.0.0");  // 1x1 expansion
  ASSERT_GE(expand, 0);
  const int depthwise = m.graph.find_node("features.2.conv.1.0");
  const auto& f = cg.groups[expand].followers;
  EXPECT_NE(std::find(f.begin(), f.end(), depthwise), f.end());
  EXPECT_EQ(group_of_source(m.graph, cg, "features.2.conv.1.0"), -1) << "a depthwise conv starts no group";
}

// Squeeze-and-excitation: the gate's last convolution produces the channels it multiplies, so it is a
// source of the stream's group (pruning a channel removes that gate filter too), and the pruned
// network keeps consistent shapes and trains.
TEST(ChannelGroups, ASqueezeExcitationGateFollowsTheStreamItScales) {
  const Network m = testing::make_model(testing::every_op_net());
  const ChannelGroups cg = analyse_channels(m.graph);
  const int stream = group_of_source(m.graph, cg, "conv1");
  ASSERT_GE(stream, 0);
  EXPECT_EQ(group_of_source(m.graph, cg, "se_expand"), stream);
  EXPECT_FALSE(cg.groups[static_cast<size_t>(stream)].fixed);
  std::vector<std::vector<bool>> keep;
  for (const ChannelGroup& grp : cg.groups) keep.emplace_back(static_cast<size_t>(grp.channels), true);
  keep[static_cast<size_t>(stream)][3] = keep[static_cast<size_t>(stream)][7] = false;
  Network p = apply_pruning(m, cg, keep);
  const auto out_channels = [&](const char* node) {
    return p.params.param(p.graph.nodes[p.graph.find_node(node)].params[0]).shape[0];
  };
  EXPECT_EQ(out_channels("conv1"), 10);
  EXPECT_EQ(out_channels("se_expand"), 10);
  CompileOptions o;
  o.batch = 4;
  o.optimizer.lr = 0.05;
  const Plan plan = compile(p.graph, o);
  OptimizerState opt(p.graph, plan.trainable, o.optimizer);
  Executor exec(plan, p.params, &opt);
  std::vector<float> images(4 * 144, 0.3f);
  std::vector<int32_t> labels{0, 1, 2, 3};
  for (int s = 0; s < 3; ++s) {
    exec.run(images.data(), labels.data());
    EXPECT_TRUE(std::isfinite(exec.loss()));
  }
}

TEST(ChannelGroups, ConcatLaysInputsSideBySideAndFlattenMapsBlocks) {
  const Network sq = zoo("squeezenet1_1");
  const ChannelGroups cg = analyse_channels(sq.graph);
  // The squeeze convolution of the next fire module reads both expand groups.
  const int next = sq.graph.find_node("features.4.squeeze");
  const auto& segs = cg.value_segments[sq.graph.nodes[next].inputs[0]];
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].group, group_of_source(sq.graph, cg, "features.3.expand1x1"));
  EXPECT_EQ(segs[1].group, group_of_source(sq.graph, cg, "features.3.expand3x3"));

  const Network vgg = zoo("vgg11_bn");
  const ChannelGroups vg = analyse_channels(vgg.graph);
  const Node& fc = vgg.graph.nodes[vgg.graph.find_node("classifier.0")];
  const auto& fsegs = vg.value_segments[fc.inputs[0]];
  ASSERT_EQ(fsegs.size(), 1u);
  EXPECT_EQ(fsegs[0].repeat, 49) << "channel c of the last conv is columns [49c, 49c + 49) of classifier.0";
}

TEST(Pruning, ZeroPercentChangesNothing) {
  for (const char* arch : {"resnet20", "mobilenet_v2", "squeezenet1_1", "fmnist-cnn"}) {
    const Network m = zoo(arch);
    const ChannelGroups cg = analyse_channels(m.graph);
    const PruningChoice c = choose_channels(m, cg, channel_scores(m, cg, Criterion::l1, 1), 0.0);
    EXPECT_EQ(c.params_after, c.params_before);
    const Network p = apply_pruning(m, cg, c.keep);
    const Shape in = m.graph.input_shape();
    std::vector<float> x(static_cast<size_t>(2 * in.numel_from(1)));
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
    EXPECT_EQ(predict_logits(m, x.data(), 2, KernelBackend::reference),
              predict_logits(p, x.data(), 2, KernelBackend::reference))
        << arch;
  }
}

TEST(Pruning, SlicesFiltersAndTheirConsumers) {
  const Network m = zoo("resnet20");
  const ChannelGroups cg = analyse_channels(m.graph);
  const int g = group_of_source(m.graph, cg, "layer1.0.conv1");
  std::vector<std::vector<bool>> keep;
  for (const ChannelGroup& grp : cg.groups) keep.emplace_back(static_cast<size_t>(grp.channels), true);
  keep[g][0] = keep[g][5] = false;
  const Network p = apply_pruning(m, cg, keep);
  const auto weight = [](const Network& mm, const char* node) {
    return mm.params.param(mm.graph.nodes[mm.graph.find_node(node)].params[0]);
  };
  const TensorView w1 = weight(m, "layer1.0.conv1"), p1 = weight(p, "layer1.0.conv1");
  const TensorView w2 = weight(m, "layer1.0.conv2"), p2 = weight(p, "layer1.0.conv2");
  ASSERT_EQ(p1.shape, Shape({14, 16, 3, 3}));
  ASSERT_EQ(p2.shape, Shape({16, 14, 3, 3}));
  EXPECT_EQ(p1.as<float>()[0], w1.as<float>()[1 * 16 * 9]);  // row 0 of the pruned = row 1 of the original
  EXPECT_EQ(p2.as<float>()[9], w2.as<float>()[2 * 9]);       // column 1 of the pruned = column 2
  const TensorView bn = p.params.state(p.graph.nodes[p.graph.find_node("layer1.0.bn1")].states[0]);
  EXPECT_EQ(bn.numel(), 14);
}

// A grouped convolution with 4 channels per group in and out (ResNeXt, RegNet) follows its input's
// channels in blocks of 4: pruning removes whole groups. With the classifier's columns of the removed
// channels zeroed, the pruned network computes the original's logits; a mask that splits a block is
// refused.
TEST(Pruning, GroupedConvolutionsLoseWholeGroups) {
  GraphBuilder b(Shape{3, 6, 6});
  int x = b.conv("a", b.input(), 32, 1);
  x = b.relu("a_relu", b.batch_norm("a_bn", x));
  x = b.conv("b", x, 32, 3, 1, 1, 8);
  x = b.batch_norm("b_bn", x);
  x = b.linear("fc", b.flatten("flatten", b.global_avg_pool("pool", x)), 5);
  Network m = testing::make_model(b.finish(x));
  const ChannelGroups cg = analyse_channels(m.graph);
  const int g = group_of_source(m.graph, cg, "a");
  ASSERT_GE(g, 0);
  EXPECT_EQ(cg.groups[g].block, 4);
  EXPECT_FALSE(cg.groups[g].fixed);
  const auto& f = cg.groups[g].followers;
  EXPECT_NE(std::find(f.begin(), f.end(), m.graph.find_node("b")), f.end());

  std::vector<std::vector<bool>> keep;
  for (const ChannelGroup& grp : cg.groups) keep.emplace_back(static_cast<size_t>(grp.channels), true);
  float* fc = m.params.param(m.graph.nodes[m.graph.find_node("fc")].params[0]).as<float>();
  for (int c : {4, 5, 6, 7, 20, 21, 22, 23}) {
    keep[g][c] = false;
    for (int k = 0; k < 5; ++k) fc[k * 32 + c] = 0.f;
  }
  const Network p = apply_pruning(m, cg, keep);
  const auto& conv = std::get<Conv2dAttrs>(p.graph.nodes[p.graph.find_node("b")].attrs);
  EXPECT_EQ(conv.groups, 6);
  EXPECT_EQ(conv.in_channels, 24);
  EXPECT_EQ(p.params.param(p.graph.nodes[p.graph.find_node("b")].params[0]).shape, Shape({24, 4, 3, 3}));
  std::vector<float> images(2 * 3 * 36);
  for (size_t i = 0; i < images.size(); ++i) images[i] = std::sin(0.37f * static_cast<float>(i));
  const std::vector<float> want = predict_logits(m, images.data(), 2, KernelBackend::reference),
                           got = predict_logits(p, images.data(), 2, KernelBackend::reference);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;

  keep[g][5] = true;  // half a group
  EXPECT_THROW(apply_pruning(m, cg, keep), Error);
}

TEST(Pruning, EveryZooModelReachesTheLevelAndTrains) {
  for (const std::string& arch : models::zoo_names()) {
    const bool big =
        arch == "vgg11_bn" || arch == "vgg16_bn" || arch == "alexnet" || arch == "resnet50" || arch == "resnet34";
    const Network m = zoo(arch);
    const ChannelGroups cg = analyse_channels(m.graph);
    // The mobile families' residual streams keep ceil(pC) channels above 50 % (ranking.hpp), which
    // bounds them near 60-66 %: they are held to issue 16's 30 and 60 %.
    const bool mobile = arch.starts_with("mobilenet_v3") || arch.starts_with("efficientnet") ||
                        arch.starts_with("mnasnet") || arch.starts_with("shufflenet");
    for (double level : {0.3, mobile ? 0.6 : 0.7}) {
      const PruningChoice c = choose_channels(m, cg, channel_scores(m, cg, Criterion::l1, 1), level);
      Network p = apply_pruning(m, cg, c.keep);
      EXPECT_EQ(p.params.param_count(), c.params_after) << arch;
      EXPECT_GE(c.level(), level - 1e-9) << arch;
      EXPECT_LE(static_cast<double>(c.params_before - c.params_after) - level * static_cast<double>(c.params_before),
                static_cast<double>(largest_channel_cost(m.graph, cg)))
          << arch << " overshoots the level by more than one channel's parameters";
      EXPECT_EQ(p.graph.num_classes(), 10);
      if (big) continue;  // shapes were checked when the graph was rebuilt; training the large ones is slow
      CompileOptions o;
      o.batch = 2;
      o.optimizer.lr = 0.01;
      Plan plan = compile(p.graph, o);
      OptimizerState opt(p.graph, plan.trainable, o.optimizer);
      Executor exec(plan, p.params, &opt);
      exec.set_learning_rate(0.01);
      const Shape in = p.graph.input_shape();
      std::vector<float> x(static_cast<size_t>(2 * in.numel_from(1)), 0.25f);
      const int32_t labels[2] = {1, 3};
      exec.run(x.data(), labels);
      EXPECT_TRUE(std::isfinite(exec.loss())) << arch;
      // ... and exports: the ONNX file re-imports to the same outputs.
      const std::string path = ::testing::TempDir() + "/pruned_" + arch + ".onnx";
      io::export_onnx(p, path);
      EXPECT_EQ(predict_logits(p, x.data(), 2, KernelBackend::reference),
                predict_logits(io::import_onnx(path), x.data(), 2, KernelBackend::reference))
          << arch;
    }
  }
}

// A channel that never fires (its filter and bias zero: ReLU gives 0 everywhere) ranks last by every
// data-aware criterion, and the data-aware scores see the data: shifting the input changes them.
TEST(DataCriteria, ADeadChannelRanksLowest) {
  Network m = zoo("fmnist-cnn");
  const Node& conv = m.graph.nodes[m.graph.find_node("conv1")];
  const TensorView w = m.params.param(conv.params[0]), b = m.params.param(conv.params[1]);
  const int64_t per = w.numel() / w.shape[0];
  std::fill(w.as<float>() + 5 * per, w.as<float>() + 6 * per, 0.f);
  b.as<float>()[5] = -1.f;  // and below zero: ReLU output exactly 0
  const ChannelGroups cg = analyse_channels(m.graph);
  const int g = group_of_source(m.graph, cg, "conv1");
  int calls = 0;
  auto batches = [&](float* images, int32_t* labels) {
    if (calls++ == 3) return false;
    for (int i = 0; i < 8 * 28 * 28; ++i) images[i] = std::sin(0.01f * static_cast<float>(i + 131 * calls));
    for (int i = 0; i < 8; ++i) labels[i] = (i + calls) % 10;
    return true;
  };
  for (DataCriterion c : {DataCriterion::activation, DataCriterion::apoz, DataCriterion::taylor}) {
    calls = 0;
    const auto scores = data_channel_scores(m, cg, c, 8, batches, KernelBackend::reference);
    ASSERT_EQ(scores[g].size(), 32u);
    EXPECT_EQ(scores[g][5], 0.0) << static_cast<int>(c);
    int positive = 0;
    for (double v : scores[g]) positive += v > 0;
    EXPECT_GT(positive, 16) << "most live channels score above zero (criterion " << static_cast<int>(c) << ")";
  }
}

// Taylor scores need dL/da at the observed point; with ReLU6 (MobileNetV2) an in-place backward would
// leave dL/d(pre-activation) there instead, which is zero where a = 6. The measurement must also
// leave the model alone although its training-mode step updates BatchNorm statistics.
TEST(DataCriteria, TaylorSeesTheGradientOfTheObservedValueAndChangesNothing) {
  const Network m = zoo("mobilenet_v2", Shape{3, 32, 32});
  const ChannelGroups cg = analyse_channels(m.graph);
  std::vector<float> before;
  for (size_t s = 0; s < m.graph.states.size(); ++s) {
    const TensorView v = m.params.state(static_cast<int>(s));
    before.insert(before.end(), v.as<float>(), v.as<float>() + v.numel());
  }
  int calls = 0;
  auto batches = [&](float* images, int32_t* labels) {
    if (calls++ == 2) return false;
    for (int i = 0; i < 4 * 3 * 32 * 32; ++i) images[i] = 8.f * std::sin(0.013f * static_cast<float>(i * calls));
    for (int i = 0; i < 4; ++i) labels[i] = i;
    return true;
  };
  const auto scores = data_channel_scores(m, cg, DataCriterion::taylor, 4, batches, KernelBackend::reference);
  int scored = 0, positive = 0;
  for (size_t k = 0; k < scores.size(); ++k)
    for (double v : scores[k]) scored += 1, positive += v > 0;
  EXPECT_GT(scored, 0);
  EXPECT_GT(positive, scored / 2) << "most channels carry some first-order importance";
  std::vector<float> after;
  for (size_t s = 0; s < m.graph.states.size(); ++s) {
    const TensorView v = m.params.state(static_cast<int>(s));
    after.insert(after.end(), v.as<float>(), v.as<float>() + v.numel());
  }
  EXPECT_EQ(before, after) << "BatchNorm statistics of the caller's model changed";
}

TEST(Pruning, PrunedModelsSurviveACheckpoint) {
  const Network m = zoo("mobilenet_v2", Shape{3, 64, 64});
  const ChannelGroups cg = analyse_channels(m.graph);
  const Network p = apply_pruning(m, cg, choose_channels(m, cg, channel_scores(m, cg, Criterion::random, 3), 0.5).keep);
  const std::string path = ::testing::TempDir() + "/pruned.ckpt";
  io::save_checkpoint(path, p, nullptr, {});
  const Network back = io::load_checkpoint(path).model;
  std::vector<float> x(static_cast<size_t>(3 * 64 * 64), 0.5f);
  EXPECT_EQ(predict_logits(p, x.data(), 1, KernelBackend::reference),
            predict_logits(back, x.data(), 1, KernelBackend::reference));
}

// Optimizer state is sliced exactly like the parameters it belongs to: with the momentum set to a
// copy of the weights, the pruned momentum equals the pruned weights bit for bit; frozen parameters
// stay without state, and the step count carries over.
TEST(Pruning, SlicesOptimizerStateLikeItsParameters) {
  const Network m = zoo("mobilenet_v2", Shape{3, 32, 32});
  optim::OptimizerConfig adam;
  adam.kind = optim::OptimizerKind::adam;
  std::vector<bool> trainable(m.graph.params.size(), true);
  trainable[0] = false;  // the stem convolution is frozen
  OptimizerState state(m.graph, trainable, adam);
  state.step = 17;
  for (size_t q = 1; q < m.graph.params.size(); ++q) {
    const TensorView w = m.params.param(static_cast<int>(q));
    std::copy(w.as<float>(), w.as<float>() + w.numel(), state.slot(static_cast<int>(q), 0).as<float>());
    std::fill(state.slot(static_cast<int>(q), 1).as<float>(),
              state.slot(static_cast<int>(q), 1).as<float>() + w.numel(), 2.f);
  }
  const ChannelGroups cg = analyse_channels(m.graph);
  const auto keep = choose_channels(m, cg, channel_scores(m, cg, Criterion::random, 5), 0.6).keep;
  const Network p = apply_pruning(m, cg, keep);
  const OptimizerState ps = prune_optimizer_state(m.graph, state, p, cg, keep);
  EXPECT_EQ(ps.step, 17);
  EXPECT_FALSE(ps.slot(0, 0));
  for (size_t q = 1; q < p.graph.params.size(); ++q) {
    const TensorView w = p.params.param(static_cast<int>(q)), m1 = ps.slot(static_cast<int>(q), 0),
                     m2 = ps.slot(static_cast<int>(q), 1);
    ASSERT_EQ(m1.shape, w.shape) << p.graph.params[q].name;
    EXPECT_TRUE(std::equal(w.as<float>(), w.as<float>() + w.numel(), m1.as<float>())) << p.graph.params[q].name;
    EXPECT_EQ(*std::min_element(m2.as<float>(), m2.as<float>() + m2.numel()), 2.f);
  }
  EXPECT_LT(ps.bytes(), state.bytes());
}

}  // namespace
}  // namespace edgetrain
