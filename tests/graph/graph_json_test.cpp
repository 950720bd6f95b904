// A graph survives JSON (what checkpoints store): same nodes, attributes, slot names and shapes, for
// every zoo architecture; and a model re-targeted to other classes keeps everything but its head.
#include <gtest/gtest.h>

#include "adapt/classifier_head.hpp"
#include "graph/graph_json.hpp"
#include "io/model_io.hpp"
#include "models/zoo.hpp"
#include "train/predict.hpp"

namespace edgetrain {
namespace {

void expect_same_graph(const Graph& a, const Graph& b) {
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t k = 0; k < a.nodes.size(); ++k) {
    EXPECT_EQ(a.nodes[k].name, b.nodes[k].name);
    EXPECT_EQ(a.nodes[k].attrs.index(), b.nodes[k].attrs.index()) << a.nodes[k].name;
    EXPECT_EQ(attrs_to_json(a.nodes[k].attrs), attrs_to_json(b.nodes[k].attrs)) << a.nodes[k].name;
    EXPECT_EQ(a.nodes[k].inputs, b.nodes[k].inputs) << a.nodes[k].name;
  }
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t p = 0; p < a.params.size(); ++p) {
    EXPECT_EQ(a.params[p].name, b.params[p].name);
    EXPECT_EQ(a.params[p].shape, b.params[p].shape) << a.params[p].name;
  }
  ASSERT_EQ(a.states.size(), b.states.size());
  for (size_t s = 0; s < a.states.size(); ++s) EXPECT_EQ(a.states[s].name, b.states[s].name);
  EXPECT_EQ(a.values[a.logits].shape, b.values[b.logits].shape);
}

TEST(GraphJson, EveryZooModelRoundTrips) {
  for (const std::string& arch : models::zoo_names()) {
    models::ZooOptions z;
    z.num_classes = 7;
    z.input = models::default_input(arch);
    const Graph g = models::build_model(arch, z);
    expect_same_graph(g, graph_from_json(graph_to_json(g)));
  }
}

TEST(GraphJson, SlotNamesAreKeptVerbatim) {
  Network m = io::make_zoo_model("lenet5", 10, Shape{1, 28, 28}, 1.0, 1);
  m.graph.params[0].name = "onnx::Conv_17";  // as an imported file may name it
  const Graph back = graph_from_json(graph_to_json(m.graph));
  EXPECT_EQ(back.params[0].name, "onnx::Conv_17");
}

TEST(GraphJson, BadDescriptionsAreErrorsNamingTheNode) {
  Network m = io::make_zoo_model("lenet5", 10, Shape{1, 28, 28}, 1.0, 1);
  nlohmann::json j = graph_to_json(m.graph);
  j["nodes"][1]["op"] = "Frobnicate";
  EXPECT_THROW(graph_from_json(j), Error);
  j = graph_to_json(m.graph);
  j["nodes"][2]["inputs"] = {"nowhere"};
  try {
    graph_from_json(j);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos) << e.what();
  }
}

TEST(GraphJson, EveryAttributeFieldAndPointwiseFunctionRoundTrips) {
  for (size_t i = 0; i < std::size(kPointwiseFnNames); ++i) {
    const PointwiseAttrs a{.fn = static_cast<PointwiseFn>(i), .alpha = 0.25, .beta = -1.5};
    const nlohmann::json j = attrs_to_json(a);
    EXPECT_EQ(j.at("fn"), kPointwiseFnNames[i].json);
    EXPECT_EQ(std::get<PointwiseAttrs>(attrs_from_json("Pointwise", j)), a);
  }
  Conv2dAttrs c;
  c.in_channels = 3, c.out_channels = 8, c.kernel_h = 5, c.kernel_w = 3, c.stride_h = 2, c.pad_w = 1;
  c.dilation_h = 2, c.groups = 1, c.bias = true;
  EXPECT_EQ(std::get<Conv2dAttrs>(attrs_from_json("Conv2d", attrs_to_json(c))), c);
  // A field an older file does not have keeps its default.
  EXPECT_EQ(std::get<AvgPoolAttrs>(attrs_from_json("AvgPool2d", nlohmann::json::object())), AvgPoolAttrs{});
  EXPECT_THROW(attrs_from_json("Pointwise", nlohmann::json{{"fn", "cosh"}}), Error);
  EXPECT_THROW(attrs_from_json("Softplus", nlohmann::json::object()), Error);
}

TEST(ClassifierHead, ReplacesOnlyTheLayerThatMakesTheLogits) {
  for (const char* arch : {"resnet20", "squeezenet1_1", "mobilenet_v2"}) {
    const Shape in = models::default_input(arch);
    Network m = io::make_zoo_model(arch, 10, in, 1.0, 3);
    Network r = adapt::with_num_classes(m, 3, 4);
    EXPECT_EQ(r.graph.num_classes(), 3) << arch;
    const int head = adapt::classifier_node(r.graph);
    for (size_t p = 0; p < r.graph.params.size(); ++p) {
      const bool in_head = r.graph.params[p].node == head;
      EXPECT_EQ(r.graph.params[p].shape == m.graph.params[p].shape, !in_head) << arch << " " << r.graph.params[p].name;
      if (in_head) continue;
      const TensorView a = m.params.param(static_cast<int>(p)), b = r.params.param(static_cast<int>(p));
      EXPECT_TRUE(std::equal(a.as<float>(), a.as<float>() + a.numel(), b.as<float>())) << r.graph.params[p].name;
    }
    EXPECT_EQ(r.info.class_names.size(), 3u);
    std::vector<float> x(static_cast<size_t>(2 * in.numel()), 0.5f);
    EXPECT_EQ(predict_logits(r, x.data(), 2, KernelBackend::reference).size(), 6u);
  }
}

}  // namespace
}  // namespace edgetrain
