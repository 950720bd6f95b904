// The compiled training step: autodiff scope, memory planning, determinism, resume, bad input.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "compile/compile.hpp"
#include "edgetrain/error.hpp"
#include "io/model_io.hpp"
#include "models/zoo.hpp"
#include "runtime/executor.hpp"
#include "synthetic.hpp"
#include "train/trainer.hpp"

namespace edgetrain {
namespace {

using testing::BlobDataset;
using testing::every_op_net;
using testing::make_model;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Graph zoo(const std::string& arch, Shape input, int64_t classes = 10) {
  models::ZooOptions z;
  z.input = input;
  z.num_classes = classes;
  return models::build_model(arch, z);
}

CompileOptions training(int64_t batch, const std::string& trainable = "all") {
  CompileOptions o;
  o.batch = batch;
  o.trainable = parse_trainable(trainable);
  return o;
}

struct Batch {
  std::vector<float> images;
  std::vector<int32_t> labels;
};
Batch batch_from(const data::Dataset& d, int64_t batch, int64_t first = 0) {
  Batch b;
  const int64_t n = d.sample_shape().numel();
  b.images.resize(static_cast<size_t>(batch * n));
  for (int64_t i = 0; i < batch; ++i) {
    d.read((first + i) % d.size(), b.images.data() + i * n);
    b.labels.push_back(d.label((first + i) % d.size()));
  }
  return b;
}

TEST(Plan, EveryPlanIsValidForManyModelsAndSpecs) {
  std::vector<Graph> graphs = {every_op_net(), zoo("fmnist-cnn", Shape{1, 28, 28}), zoo("resnet18", Shape{3, 32, 32}),
                               zoo("mobilenet_v2", Shape{3, 32, 32}), zoo("squeezenet1_1", Shape{3, 64, 64})};
  for (const Graph& g : graphs)
    for (std::string spec : {"all", "classifier", "last:3", "bias"})
      for (PlannerKind k : {PlannerKind::greedy_by_size, PlannerKind::no_reuse}) {
        CompileOptions o = training(3, spec);
        o.planner = k;
        Plan p = compile(g, o);
        EXPECT_TRUE(plan_is_valid(p.buffers, p.memory)) << spec;
        if (k == PlannerKind::greedy_by_size) {
          CompileOptions nr = o;
          nr.planner = PlannerKind::no_reuse;
          // Reuse must actually save memory: training all of a network keeps every activation for the
          // backward pass, yet the gradients and workspaces reuse each other's bytes.
          const double ratio =
              static_cast<double>(p.memory.arena_bytes) / static_cast<double>(compile(g, nr).memory.arena_bytes);
          EXPECT_LT(ratio, spec == "all" ? 0.75 : 1.0) << spec << ": greedy arena / no-reuse arena";
        }
      }
}

// Two Dropouts of the same shape in one step draw independent masks: after both, an element survives
// with probability 1/4 (the same mask twice would keep 1/2).
TEST(Executor, DropoutNodesDrawIndependentMasks) {
  GraphBuilder b(Shape{1, 40, 50});
  int x = b.flatten("flatten", b.conv("scale", b.input(), 1, 1));  // one nonzero weight
  x = b.dropout("drop1", x, 0.5);
  x = b.dropout("drop2", x, 0.5);
  Network m = make_model(b.finish(x));
  CompileOptions o = training(1);
  o.planner = PlannerKind::no_reuse;  // the logits stay readable after the step
  const Plan plan = compile(m.graph, o);
  OptimizerState opt(m.graph, plan.trainable, o.optimizer);
  Executor exec(plan, m.params, &opt);
  const std::vector<float> ones(2000, 1.f);
  const int32_t label = 0;
  exec.run(ones.data(), &label);
  const auto* y = reinterpret_cast<const float*>(exec.buffer_data(plan.logits_buffer));
  int64_t kept = 0;
  for (int i = 0; i < 2000; ++i) kept += y[i] != 0.f;
  EXPECT_NEAR(static_cast<double>(kept) / 2000, 0.25, 0.04);  // sd ~0.01
}

TEST(Plan, GreedyAndNoReusePlannersTrainBitIdentically) {
  BlobDataset data(64, Shape{1, 12, 12}, 4, 3);
  std::vector<std::vector<float>> finals;
  for (PlannerKind k : {PlannerKind::greedy_by_size, PlannerKind::no_reuse}) {
    Network m = make_model(every_op_net());
    CompileOptions o = training(8);
    o.planner = k;
    o.optimizer.lr = 0.05;
    Plan plan = compile(m.graph, o);
    OptimizerState opt(m.graph, plan.trainable, o.optimizer);
    Executor exec(plan, m.params, &opt);
    exec.set_seed(5);
    for (int s = 0; s < 6; ++s) {
      Batch b = batch_from(data, 8, s * 8);
      exec.run(b.images.data(), b.labels.data());
    }
    std::vector<float> all;
    for (size_t p = 0; p < m.params.num_params(); ++p) {
      TensorView v = m.params.param(static_cast<int>(p));
      all.insert(all.end(), v.as<float>(), v.as<float>() + v.numel());
    }
    for (size_t s = 0; s < m.params.num_states(); ++s) {
      TensorView v = m.params.state(static_cast<int>(s));
      all.insert(all.end(), v.as<float>(), v.as<float>() + v.numel());
    }
    finals.push_back(all);
  }
  ASSERT_EQ(finals[0].size(), finals[1].size());
  EXPECT_EQ(0, std::memcmp(finals[0].data(), finals[1].data(), finals[0].size() * 4));
}

TEST(Autodiff, FrozenPrefixCostsNoActivationMemory) {
  Graph g = zoo("resnet18", Shape{3, 64, 64});
  // The reference backend: its workspaces are small, so the arena sizes compare activations.
  CompileOptions all = training(4, "all"), classifier = training(4, "classifier");
  all.backend = classifier.backend = KernelBackend::reference;
  Plan full = compile(g, all);
  Plan head = compile(g, classifier);
  CompileOptions inf;
  inf.batch = 4;
  inf.training = false;
  inf.backend = KernelBackend::reference;
  Plan inference = compile(g, inf);
  // Only the classifier has backward steps.
  for (const Step& s : head.steps) {
    if (s.kind == StepKind::kernel && s.pass != Pass::fwd && s.name != "loss") {
      EXPECT_EQ(s.name, "fc") << pass_name(s.pass);
    }
  }
  // Training the classifier costs what inference costs, plus its own small gradient buffers.
  std::size_t fc_extra =
      head.breakdown.requested(BufferKind::weight_grad) + head.breakdown.requested(BufferKind::activation_grad) + 4096;
  EXPECT_LE(head.memory.arena_bytes, inference.memory.arena_bytes + fc_extra);
  EXPECT_LT(head.memory.arena_bytes * 4, full.memory.arena_bytes);
  // No activation of the frozen prefix outlives the forward pass.
  int first_backward = -1;
  for (size_t i = 0; i < head.steps.size() && first_backward < 0; ++i)
    if (head.steps[i].kind != StepKind::kernel || head.steps[i].pass != Pass::fwd) first_backward = static_cast<int>(i);
  for (const BufferRequest& r : head.buffers) {
    if (r.kind == BufferKind::activation && r.label != "avgpool" && r.label != "fc" && r.label != "loss") {
      EXPECT_LT(r.last_step, first_backward) << r.label << " is kept for backward";
    }
  }
}

TEST(Autodiff, BackwardScopeFollowsTheTrainableSpec) {
  Graph g = zoo("fmnist-cnn", Shape{1, 28, 28});
  auto count = [](const Plan& p, Pass pass) {
    int n = 0;
    for (const Step& s : p.steps) n += s.kind == StepKind::kernel && s.pass == pass;
    return n;
  };
  // Step counts of the graph's own nodes: no activation fused into its producer (see layout_test).
  auto training = [](int64_t batch, const std::string& spec) {
    CompileOptions o = edgetrain::training(batch, spec);
    o.fuse_activations = false;
    return o;
  };
  Plan all = compile(g, training(2, "all"));
  EXPECT_EQ(count(all, Pass::bwd_weights), 4);  // conv1, conv2, fc1, fc2
  // conv1's input is the image: no bwd_data for it; loss + relu x3 + pool x2 + conv2 + fc1 + fc2.
  EXPECT_EQ(count(all, Pass::bwd_data), 9);
  Plan last2 = compile(g, training(2, "last:2"));
  EXPECT_EQ(count(last2, Pass::bwd_weights), 2);
  EXPECT_EQ(count(last2, Pass::bwd_data), 3);  // loss, fc2, relu3: nothing upstream of fc1
  Plan bias = compile(g, training(2, "bias"));
  int trainable = 0;
  for (size_t p = 0; p < g.params.size(); ++p) {
    trainable += bias.trainable[p];
    EXPECT_EQ(bias.trainable[p], g.params[p].name.ends_with(".bias")) << g.params[p].name;
  }
  EXPECT_EQ(trainable, 4);
  Plan names = compile(g, training(2, "names:conv2.*,fc2.weight"));
  EXPECT_EQ(count(names, Pass::bwd_weights), 2);
  EXPECT_NE(error_of([&] { compile(g, training(2, "names:layer9.*")); }).find("selects no parameter"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_trainable("last:zero"); }).find("not understood"), std::string::npos);
}

// In f32, and with bf16 and 8-bit fixed-point activations and gradients.
TEST(Autodiff, TrainingLearnsTheSyntheticTask) {
  for (DType activations : {DType::f32, DType::bf16, DType::fx8}) {
    SCOPED_TRACE(dtype_info(activations).name);
    auto data = std::make_shared<BlobDataset>(256, Shape{1, 12, 12}, 4, 11);
    Network m = make_model(every_op_net());
    TrainConfig tc;
    tc.batch = 16;
    tc.optimizer.kind = optim::OptimizerKind::adam;
    tc.optimizer.lr = 3e-3;
    tc.activations = activations;
    Trainer t(m, tc);
    data::LoaderOptions lo;
    lo.batch = 16;
    lo.drop_last = true;
    data::BatchLoader loader(data, lo);
    EpochResult first = t.train_epoch(loader, 0);
    EpochResult last;
    for (int e = 1; e < 6; ++e) last = t.train_epoch(loader, e);
    EXPECT_LT(last.loss, first.loss * 0.5);
    EXPECT_GT(evaluate(m, data, 64).accuracy, 0.9);
  }
}

TEST(Checkpoint, ResumingIsExact) {
  auto data = std::make_shared<BlobDataset>(96, Shape{1, 12, 12}, 4, 2);
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/resume.ckpt";
  TrainConfig tc;
  tc.batch = 8;
  tc.optimizer.kind = optim::OptimizerKind::adam;
  tc.schedule.kind = optim::ScheduleKind::cosine;
  tc.schedule.total_iters = 24;
  data::LoaderOptions lo;
  lo.batch = 8;
  lo.drop_last = true;
  lo.augment.crop_padding = 1;
  lo.augment.horizontal_flip = true;

  Network straight = make_model(every_op_net());
  straight.info.arch = "test";
  {
    Trainer t(straight, tc);
    data::BatchLoader loader(data, lo);
    t.train_epoch(loader, 0);
    t.train_epoch(loader, 1);
  }
  Network first = make_model(every_op_net());
  {
    Trainer t(first, tc);
    data::BatchLoader loader(data, lo);
    t.train_epoch(loader, 0);
    // Round-trip through the checkpoint file (weights, BN statistics, optimizer state).
    io::save_checkpoint(path, first, &t.optimizer_state(), {{"epochs_done", 1}});
  }
  // The zoo cannot rebuild this test net, so restore tensors into a fresh one by name.
  io::CheckpointData raw = io::read_checkpoint(path);
  Network resumed = make_model(every_op_net(), 99);
  for (size_t p = 0; p < resumed.graph.params.size(); ++p) {
    const io::NamedTensor* t = io::find_tensor(raw, resumed.graph.params[p].name);
    ASSERT_NE(t, nullptr);
    std::memcpy(resumed.params.param(static_cast<int>(p)).data, t->data.data(), t->data.size() * 4);
  }
  for (size_t s = 0; s < resumed.graph.states.size(); ++s) {
    const io::NamedTensor* t = io::find_tensor(raw, resumed.graph.states[s].name);
    ASSERT_NE(t, nullptr);
    std::memcpy(resumed.params.state(static_cast<int>(s)).data, t->data.data(), t->data.size() * 4);
  }
  {
    Trainer t(resumed, tc);
    io::restore_optimizer(raw, resumed.graph, t.optimizer_state());
    data::BatchLoader loader(data, lo);
    t.train_epoch(loader, 1);
  }
  for (size_t p = 0; p < straight.params.num_params(); ++p) {
    TensorView a = straight.params.param(static_cast<int>(p)), b = resumed.params.param(static_cast<int>(p));
    EXPECT_EQ(0, std::memcmp(a.data, b.data, a.bytes())) << straight.graph.params[p].name;
  }
  for (size_t s = 0; s < straight.params.num_states(); ++s) {
    TensorView a = straight.params.state(static_cast<int>(s)), b = resumed.params.state(static_cast<int>(s));
    EXPECT_EQ(0, std::memcmp(a.data, b.data, a.bytes())) << straight.graph.states[s].name;
  }
}

TEST(Checkpoint, ZooModelRoundTripsAndBadFilesAreRejected) {
  const std::string dir = ::testing::TempDir();
  Network m = io::make_zoo_model("resnet20", 10, Shape{3, 32, 32}, 1.0, 3);
  m.info.class_names = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  m.info.mean = {0.5f, 0.5f, 0.5f};
  m.info.std = {0.25f, 0.25f, 0.25f};
  const std::string path = dir + "/r20.ckpt";
  io::save_checkpoint(path, m, nullptr, {{"epochs_done", 3}});
  io::LoadedCheckpoint c = io::load_checkpoint(path);
  EXPECT_EQ(c.model.info.class_names, m.info.class_names);
  EXPECT_EQ(c.training.at("epochs_done"), 3);
  for (size_t p = 0; p < m.params.num_params(); ++p)
    EXPECT_EQ(0, std::memcmp(m.params.param(static_cast<int>(p)).data, c.model.params.param(static_cast<int>(p)).data,
                             m.params.param(static_cast<int>(p)).bytes()));
  // Truncated copy: one clear error naming the file.
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const std::string cut = dir + "/cut.ckpt";
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_NE(error_of([&] { io::load_checkpoint(cut); }).find("cut.ckpt"), std::string::npos);
  EXPECT_NE(error_of([&] { io::load_checkpoint(dir + "/missing.ckpt"); }).find("missing.ckpt"), std::string::npos);
}

// Winograd convolutions (faster, more scratch) are the first thing a tight budget gives up: a budget
// that only the direct plan fits compiles to the direct plan; one under that still fails.
TEST(MemoryBudget, TightBudgetDropsWinogradBeforeFailing) {
  const Graph g = zoo("resnet18", Shape{3, 64, 64});  // layer1's 3x3 convolutions at 16x16
  const auto winograd_steps = [](const Plan& p) {
    int n = 0;
    for (const Step& s : p.steps) n += s.kernel && s.kernel->runs_winograd();
    return n;
  };
  CompileOptions o = training(4);
  const Plan fast = compile(g, o);
  if (winograd_steps(fast) == 0) GTEST_SKIP() << "oneDNN has no Winograd kernel on this CPU (needs AVX-512)";
  o.winograd = false;
  const Plan direct = compile(g, o);
  EXPECT_EQ(winograd_steps(direct), 0);
  ASSERT_LT(direct.breakdown.total(), fast.breakdown.total());

  o.winograd = true;
  o.memory_budget = fast.breakdown.total();
  EXPECT_EQ(winograd_steps(compile(g, o)), winograd_steps(fast));
  o.memory_budget = direct.breakdown.total();
  const Plan tight = compile(g, o);
  EXPECT_EQ(winograd_steps(tight), 0);
  EXPECT_EQ(tight.breakdown.total(), direct.breakdown.total());
  o.memory_budget = direct.breakdown.total() - 1;
  EXPECT_NE(error_of([&] { compile(g, o); }).find("memory budget"), std::string::npos);
}

TEST(BadInput, ImpossibleBudgetInconsistentShapesAndBadLabels) {
  Graph g = zoo("fmnist-cnn", Shape{1, 28, 28});
  CompileOptions o = training(64);
  o.memory_budget = 1 << 20;
  std::string e = error_of([&] { compile(g, o); });
  EXPECT_NE(e.find("memory budget"), std::string::npos) << e;
  EXPECT_NE(e.find("batch size"), std::string::npos) << e;

  GraphBuilder b(Shape{3, 8, 8});
  int x = b.conv("a", b.input(), 4, 3, 1, 1);
  int y = b.conv("b", b.input(), 5, 3, 1, 1);
  e = error_of([&] { b.add("join", x, y); });
  EXPECT_NE(e.find("join"), std::string::npos) << e;
  EXPECT_NE(e.find("differ"), std::string::npos) << e;

  Network m = make_model(every_op_net(4));
  Plan p = compile(m.graph, training(2));
  OptimizerState opt(m.graph, p.trainable, {});
  Executor exec(p, m.params, &opt);
  std::vector<float> images(2 * 144, 0.5f);
  std::vector<int32_t> labels = {1, 7};
  e = error_of([&] { exec.run(images.data(), labels.data()); });
  EXPECT_NE(e.find("outside the model's 4 classes"), std::string::npos) << e;
}

}  // namespace
}  // namespace edgetrain
