// The adapter's state directory. Files, each written atomically:
//   adapted-<generation>.ckpt  the adapted model (a checkpoint), written before the index names it
//   adapter.json               the index: format, generation, the model file, its classes and whether
//                              it has a "none of them" output ("", [] when the original serves)
//   buffer.ett                 the replay buffer: images [n, C, H, W], labels [n], labelled [n]
// A process killed at any point leaves the index naming a complete model (the previous one while a
// new one is being written), so a restart serves the last good model.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/adapter_impl.hpp"
#include "core/check.hpp"
#include "io/atomic_file.hpp"
#include "io/tensor_file.hpp"

namespace edgetrain::adapter_detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "edgetrain-adapter";
constexpr const char* kIndex = "adapter.json";
constexpr const char* kBuffer = "buffer.ett";

}  // namespace

void write_state(const std::string& dir, const Restricted* adapted, int64_t generation) {
  const std::string file = adapted ? fmt::format("adapted-{}.ckpt", generation) : "";
  if (adapted) adapted->model.save((fs::path(dir) / file).string());
  nlohmann::json index = {{"format", kFormat},
                          {"version", 1},
                          {"generation", generation},
                          {"model", file},
                          {"classes", adapted ? adapted->classes : std::vector<int32_t>{}},
                          {"other", adapted && adapted->other}};
  io::write_file_atomic((fs::path(dir) / kIndex).string(), index.dump(1));
  std::error_code ec;  // older models: best effort, a leftover file costs only disk space
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("adapted-") && name.ends_with(".ckpt") && name != file) fs::remove(entry.path(), ec);
  }
}

std::shared_ptr<const Restricted> read_state(const std::string& dir, int64_t classes, std::string& problem,
                                             int64_t& generation) {
  problem.clear();
  const fs::path index_path = fs::path(dir) / kIndex;
  if (!fs::exists(index_path)) return nullptr;
  try {
    const nlohmann::json index = nlohmann::json::parse(io::read_file(index_path.string()));
    ET_REQUIRE(index.at("format") == kFormat, "not an adapter index");
    generation = index.at("generation").get<int64_t>();
    const std::string file = index.at("model").get<std::string>();
    if (file.empty()) return nullptr;  // the original serves
    auto r = std::make_shared<Restricted>(Restricted{Model::load((fs::path(dir) / file).string()),
                                                     index.at("classes").get<std::vector<int32_t>>(),
                                                     index.at("other").get<bool>()});
    ET_REQUIRE(static_cast<int64_t>(r->classes.size()) + (r->other ? 1 : 0) == r->model.num_classes(),
               "the index lists {} classes for a model of {}", r->classes.size(), r->model.num_classes());
    for (int32_t c : r->classes)
      ET_REQUIRE(c >= 0 && c < classes, "class {} is outside the deployed model's {}", c, classes);
    return r;
  } catch (const std::exception& e) {  // nlohmann's parse and type errors, and edgetrain's
    problem = fmt::format("the adapter state in {} is damaged ({})", dir, e.what());
    return nullptr;
  }
}

void write_buffer(const std::string& dir, const adapt::ReplayBuffer& buffer, const std::vector<int64_t>& chw) {
  const std::vector<const adapt::ReplaySample*> samples = buffer.samples();
  const auto n = static_cast<int64_t>(samples.size());
  std::vector<float> images;
  std::vector<int32_t> labels, labelled;
  for (const adapt::ReplaySample* s : samples) {
    images.insert(images.end(), s->input.begin(), s->input.end());
    labels.push_back(s->label);
    labelled.push_back(s->labelled ? 1 : 0);
  }
  io::write_tensor_file(
      (fs::path(dir) / kBuffer).string(),
      {io::make_record("images", Shape{n, chw[0], chw[1], chw[2]}, images.data()),
       io::make_record("labels", Shape{n}, labels.data()), io::make_record("labelled", Shape{n}, labelled.data())});
}

void read_buffer(const std::string& dir, adapt::ReplayBuffer& buffer, std::string& problem) {
  problem.clear();
  const fs::path path = fs::path(dir) / kBuffer;
  if (!fs::exists(path)) return;
  try {
    const std::vector<io::TensorRecord> t = io::read_tensor_file(path.string());
    const io::TensorRecord* images = io::find_record(t, "images");
    const io::TensorRecord* labels = io::find_record(t, "labels");
    const io::TensorRecord* labelled = io::find_record(t, "labelled");
    ET_REQUIRE(images && labels && labelled && images->dtype == DType::f32 && labels->dtype == DType::i32 &&
                   labelled->dtype == DType::i32 && images->shape.rank() == 4 &&
                   labels->shape == Shape{images->shape[0]} && labelled->shape == labels->shape,
               "not a replay buffer");
    const int64_t n = images->shape[0], size = images->shape.numel_from(1);
    for (int64_t k = 0; k < n; ++k)
      buffer.add({images->as<float>() + k * size, static_cast<size_t>(size)}, labels->as<int32_t>()[k],
                 labelled->as<int32_t>()[k] != 0);
  } catch (const Error& e) {
    problem = fmt::format("the replay buffer in {} is damaged ({}); starting with an empty one", dir, e.what());
  }
}

}  // namespace edgetrain::adapter_detail
