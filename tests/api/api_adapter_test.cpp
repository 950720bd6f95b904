// The Adapter through the public API: a model trained on six classes serves a stream that shows two
// of them; the adapter notices, adapts (restricted to those two, pruned, retrained, validated) and
// serves the smaller model; it follows the stream back to many classes and on to another pair; its
// state survives a restart and a damaged state falls back to the deployed model.
#include <gtest/gtest.h>

#include <edgetrain/edgetrain.hpp>

#include <filesystem>
#include <fstream>
#include <random>

namespace edgetrain {
namespace {

constexpr int kClasses = 6;

// Class c: a bright horizontal band at rows 4c + 2 .. 4c + 5 on noise.
std::vector<float> frame_of(int c, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> noise(0.f, 0.35f);
  std::vector<float> f(28 * 28);
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      f[static_cast<size_t>(y * 28 + x)] = noise(rng) + (y >= 4 * c + 2 && y < 4 * c + 6 ? 0.6f : 0.f);
  return f;
}

// fmnist-cnn trained on all six classes (the deployed model).
const Model& deployed() {
  static const Model m = [] {
    ModelOptions mo;
    mo.num_classes = kClasses;
    Model model = Model::zoo("fmnist-cnn", mo);
    std::mt19937_64 rng(3);
    const int n = 960;
    std::vector<float> images;
    std::vector<int32_t> labels;
    for (int i = 0; i < n; ++i) {
      const std::vector<float> f = frame_of(i % kClasses, rng);
      images.insert(images.end(), f.begin(), f.end());
      labels.push_back(i % kClasses);
    }
    TrainingOptions to;
    to.batch = 32;
    TrainingSession s(model, to);
    FitOptions fit;
    fit.epochs = 2;
    s.fit(Dataset::from_arrays(images.data(), labels.data(), n, {1, 28, 28}), fit);
    return model.clone();
  }();
  return m;
}

AdapterOptions small_options() {
  AdapterOptions o;
  o.window = 100;
  o.stable_frames = 60;
  o.min_frames_per_class = 15;
  o.buffer_capacity = 200;
  o.epochs = 2;
  o.prune_levels = {0.5};
  o.background = false;
  return o;
}

// Feeds `frames` labelled frames cycling through `classes`; returns the share answered right.
double stream(Adapter& a, const std::vector<int>& classes, int frames, std::mt19937_64& rng, bool labels = true) {
  int right = 0;
  for (int k = 0; k < frames; ++k) {
    const int c = classes[static_cast<size_t>(k) % classes.size()];
    const std::vector<float> f = frame_of(c, rng);
    right += a.observe(f.data(), labels ? std::optional<int32_t>(c) : std::nullopt).label == c;
  }
  return static_cast<double>(right) / frames;
}

TEST(Adapter, AdaptsToTheObservedSubsetAndFollowsTheDrift) {
  Adapter a(deployed().clone(), small_options());
  std::mt19937_64 rng(11);
  stream(a, {1, 4}, 250, rng);
  ASSERT_EQ(a.adapted_subset(), (std::vector<int32_t>{1, 4})) << a.status();
  ASSERT_FALSE(a.reports().empty());
  const AdaptationReport r = a.reports().back();
  EXPECT_TRUE(r.accepted) << r.why;
  EXPECT_EQ(r.subset, (std::vector<int32_t>{1, 4}));
  EXPECT_LT(r.params_after, r.params_before);
  EXPECT_GE(r.accuracy_after, r.accuracy_before);
  EXPECT_GT(r.held_back, 0);
  EXPECT_GT(r.plan_bytes, 0u);
  EXPECT_EQ(a.serving().num_classes(), 2);
  EXPECT_GE(stream(a, {1, 4}, 40, rng), 0.9);  // the adapted model serves them

  // The stream returns to many classes: the original serves again; then another pair: adapt again.
  stream(a, {0, 1, 2, 3, 4, 5}, 240, rng);
  EXPECT_TRUE(a.adapted_subset().empty()) << a.status();
  stream(a, {2, 3}, 300, rng);
  EXPECT_EQ(a.adapted_subset(), (std::vector<int32_t>{2, 3})) << a.status();
  EXPECT_EQ(a.serving().num_classes(), 3);  // and "none of them", learnt from the other classes' frames
  std::vector<double> prior = a.label_prior();
  ASSERT_EQ(prior.size(), static_cast<size_t>(kClasses));
  EXPECT_GT(prior[2] + prior[3], 0.95);
  // A class outside the subset is still named, by the original, at once, and the window sees it.
  EXPECT_GE(stream(a, {0, 5}, 20, rng, false), 0.9);
  prior = a.label_prior();
  EXPECT_NEAR(prior[0] + prior[5], 0.2, 0.05);  // 20 of the window's 100 frames
}

TEST(Adapter, AdaptsInTheBackgroundWhileServing) {
  AdapterOptions o = small_options();
  o.background = true;
  o.trainable_specs = {"last:2"};  // without a device profile: the first spec
  Adapter a(deployed().clone(), o);
  std::mt19937_64 rng(5);
  bool served_while_adapting = false;
  for (int k = 0; k < 400 && a.reports().empty(); ++k) {
    const int c = k % 2 == 0 ? 0 : 3;
    const std::vector<float> f = frame_of(c, rng);
    const bool busy = a.adapting();
    const AdapterPrediction p = a.observe(f.data(), c);
    served_while_adapting = served_while_adapting || (busy && p.label == c);
  }
  a.wait();
  ASSERT_FALSE(a.reports().empty()) << a.status();
  EXPECT_TRUE(served_while_adapting);
  EXPECT_EQ(a.reports().back().trainable, "last:2");
  EXPECT_EQ(a.adapted_subset(), (std::vector<int32_t>{0, 3})) << a.status();
}

TEST(Adapter, StateSurvivesARestartAndADamagedStateFallsBack) {
  const std::string dir = ::testing::TempDir() + "/adapter_state";
  std::filesystem::remove_all(dir);
  AdapterOptions o = small_options();
  o.state_dir = dir;
  std::mt19937_64 rng(7);
  {
    Adapter a(deployed().clone(), o);
    stream(a, {1, 5}, 250, rng);
    ASSERT_EQ(a.adapted_subset(), (std::vector<int32_t>{1, 5})) << a.status();
  }
  {
    Adapter b(deployed().clone(), o);
    EXPECT_EQ(b.adapted_subset(), (std::vector<int32_t>{1, 5})) << b.status();
    EXPECT_EQ(b.serving().num_classes(), 2);
    const std::vector<float> f = frame_of(5, rng);
    EXPECT_EQ(b.observe(f.data()).label, 5);
  }
  std::ofstream(dir + "/adapter.json") << "{ not json";
  Adapter c(deployed().clone(), o);
  EXPECT_TRUE(c.adapted_subset().empty());
  EXPECT_NE(c.status().find("damaged"), std::string::npos) << c.status();
  const std::vector<float> f = frame_of(2, rng);
  EXPECT_EQ(c.observe(f.data()).label, 2);  // still serving
  std::filesystem::remove_all(dir);
}

TEST(Adapter, BadInputIsRefused) {
  Adapter a(deployed().clone(), small_options());
  std::mt19937_64 rng(1);
  const std::vector<float> f = frame_of(0, rng);
  EXPECT_THROW(a.observe(f.data(), kClasses), Error);
  EXPECT_THROW(a.observe(nullptr), Error);
  AdapterOptions o = small_options();
  o.memory_budget = 1 << 20;  // a budget needs a device profile to predict against
  EXPECT_THROW(Adapter(deployed().clone(), o), Error);
  o = small_options();
  o.max_subset_share = 1.5;
  EXPECT_THROW(Adapter(deployed().clone(), o), Error);
  o = small_options();
  o.trainable_specs = {"last:zero"};
  EXPECT_THROW(Adapter(deployed().clone(), o), Error);
}

}  // namespace
}  // namespace edgetrain
