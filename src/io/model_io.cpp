#include "io/model_io.hpp"

#include <cstring>

#include "core/check.hpp"
#include "graph/graph_json.hpp"
#include "models/zoo.hpp"

namespace edgetrain::io {

namespace {

constexpr const char* kFormat = "edgetrain-model";

std::vector<float> copy_out(const TensorView& v) {
  const float* d = v.as<float>();
  return std::vector<float>(d, d + v.numel());
}

void copy_in(const std::string& path, const NamedTensor& t, const TensorView& dst) {
  ET_REQUIRE(t.shape == dst.shape, "{}: tensor '{}' has shape {} but the model expects {}", path, t.name,
             t.shape.str(), dst.shape.str());
  std::memcpy(dst.data, t.data.data(), t.data.size() * sizeof(float));
}

const NamedTensor& require_tensor(const std::string& path, const CheckpointData& d, const std::string& name) {
  const NamedTensor* t = find_tensor(d, name);
  ET_REQUIRE(t != nullptr, "{}: checkpoint has no tensor '{}' (was it written for another model?)", path, name);
  return *t;
}

}  // namespace

Network make_zoo_model(const std::string& arch, int64_t num_classes, const Shape& input_chw, double width_mult,
                     uint64_t seed) {
  models::ZooOptions z;
  z.num_classes = num_classes;
  z.input = input_chw;
  z.width_mult = width_mult;
  Network m;
  m.graph = models::build_model(arch, z);
  m.params = ParameterStore(m.graph, seed);
  m.info.arch = arch;
  m.info.width_mult = width_mult;
  for (int64_t k = 0; k < num_classes; ++k) m.info.class_names.push_back(std::to_string(k));
  return m;
}

void save_checkpoint(const std::string& path, const Network& model, const OptimizerState* optimizer,
                     const nlohmann::json& training, std::vector<NamedTensor> extra) {
  CheckpointData d;
  const Shape in = model.graph.input_shape();
  d.meta = {{"format", kFormat},
            {"arch", model.info.arch},
            {"width_mult", model.info.width_mult},
            {"num_classes", model.graph.num_classes()},
            {"input", {in[1], in[2], in[3]}},
            {"class_names", model.info.class_names},
            {"mean", model.info.mean},
            {"std", model.info.std},
            {"graph", graph_to_json(model.graph)},
            {"training", training}};
  const Graph& g = model.graph;
  for (size_t p = 0; p < g.params.size(); ++p)
    d.tensors.push_back({g.params[p].name, g.params[p].shape, copy_out(model.params.param(static_cast<int>(p)))});
  for (size_t s = 0; s < g.states.size(); ++s)
    d.tensors.push_back({g.states[s].name, g.states[s].shape, copy_out(model.params.state(static_cast<int>(s)))});
  if (optimizer) {
    d.meta["optimizer_step"] = optimizer->step;
    for (size_t p = 0; p < g.params.size(); ++p)
      for (int k = 0; k < optimizer->slots_per_param(); ++k)
        if (TensorView v = optimizer->slot(static_cast<int>(p), k))
          d.tensors.push_back({g.params[p].name + "#opt" + std::to_string(k), v.shape, copy_out(v)});
  }
  for (NamedTensor& t : extra) d.tensors.push_back(std::move(t));
  write_checkpoint(path, d);
}

LoadedCheckpoint load_checkpoint(const std::string& path) { return load_checkpoint(read_checkpoint(path), path); }

LoadedCheckpoint load_checkpoint(CheckpointData raw, const std::string& path) {
  LoadedCheckpoint c;
  c.raw = std::move(raw);
  const nlohmann::json& m = c.raw.meta;
  ET_REQUIRE(m.value("format", "") == kFormat, "{}: not an edgetrain model checkpoint (format '{}')", path,
             m.value("format", ""));
  try {
    auto input = m.at("input").get<std::vector<int64_t>>();
    ET_REQUIRE(input.size() == 3, "{}: bad input shape in checkpoint metadata", path);
    if (m.contains("graph")) {  // any model: zoo, imported, rewritten
      try {
        c.model.graph = graph_from_json(m.at("graph"));
      } catch (const Error& e) {
        fail("{}: {}", path, e.what());
      }
      c.model.params = ParameterStore(c.model.graph, 0);
      c.model.info.arch = m.at("arch").get<std::string>();
      c.model.info.width_mult = m.value("width_mult", 1.0);
    } else {  // checkpoints written before graphs were stored: a zoo architecture
      c.model = make_zoo_model(m.at("arch").get<std::string>(), m.at("num_classes").get<int64_t>(),
                               Shape{input[0], input[1], input[2]}, m.value("width_mult", 1.0), 0);
    }
    c.model.info.class_names = m.at("class_names").get<std::vector<std::string>>();
    c.model.info.mean = m.at("mean").get<std::vector<float>>();
    c.model.info.std = m.at("std").get<std::vector<float>>();
    c.training = m.value("training", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    fail("{}: checkpoint metadata is incomplete ({})", path, e.what());
  }
  const Graph& g = c.model.graph;
  for (size_t p = 0; p < g.params.size(); ++p)
    copy_in(path, require_tensor(path, c.raw, g.params[p].name), c.model.params.param(static_cast<int>(p)));
  for (size_t s = 0; s < g.states.size(); ++s)
    copy_in(path, require_tensor(path, c.raw, g.states[s].name), c.model.params.state(static_cast<int>(s)));
  return c;
}

void restore_optimizer(const CheckpointData& raw, const Graph& g, OptimizerState& optimizer) {
  for (size_t p = 0; p < g.params.size(); ++p)
    for (int k = 0; k < optimizer.slots_per_param(); ++k)
      if (TensorView v = optimizer.slot(static_cast<int>(p), k))
        copy_in("checkpoint", require_tensor("checkpoint", raw, g.params[p].name + "#opt" + std::to_string(k)), v);
  optimizer.step = raw.meta.value("optimizer_step", int64_t{0});
}

}  // namespace edgetrain::io
