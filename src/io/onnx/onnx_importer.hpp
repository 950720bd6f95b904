// The ONNX importer's state and steps: file-level reading and fusion planning (onnx_import.cpp),
// one handler per ONNX operator (onnx_import_layers.cpp).
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/builder.hpp"
#include "io/onnx/onnx_fold.hpp"
#include "io/onnx/onnx_model.hpp"
#include "runtime/network.hpp"

namespace edgetrain::io::onnx_detail {

// Parameters and state of one graph node, in param_specs / state_specs order: (name, shape, data).
struct SlotData {
  std::string name;
  Shape shape;
  std::vector<float> data;
};
struct NodePayload {
  std::vector<SlotData> params, states;
};

class Importer {
 public:
  Importer(std::string path, const OnnxImportOptions& options) : path_(std::move(path)), options_(options) {}
  // Imports `bytes` instead of reading the file at `path`.
  Importer(std::string bytes, std::string path, const OnnxImportOptions& options)
      : path_(std::move(path)), options_(options), bytes_(std::move(bytes)) {}
  Network run();

 private:
  using Handler = void (Importer::*)(const onnx::NodeProto&);
  static const std::map<std::string, Handler>& handlers();

  void parse();
  void read_opset();
  void read_initializers();
  Shape read_input();
  std::set<int> live_nodes(const std::string& output) const;
  void prepare_fusions(const std::set<int>& live);
  void import_node(int index);
  Network build(int logits);

  // Layers.
  void conv(const onnx::NodeProto& n);
  void batch_norm(const onnx::NodeProto& n);
  void relu(const onnx::NodeProto& n);
  void clip(const onnx::NodeProto& n);
  void pointwise(const onnx::NodeProto& n);
  void max_pool(const onnx::NodeProto& n);
  void average_pool(const onnx::NodeProto& n);
  void global_average_pool(const onnx::NodeProto& n);
  void reduce_mean(const onnx::NodeProto& n);
  void gemm(const onnx::NodeProto& n);
  void matmul(const onnx::NodeProto& n);
  void add(const onnx::NodeProto& n);
  void mul_div(const onnx::NodeProto& n);
  void concat(const onnx::NodeProto& n);
  void flatten(const onnx::NodeProto& n);
  void reshape_like(const onnx::NodeProto& n);
  void dropout(const onnx::NodeProto& n);
  void pad(const onnx::NodeProto& n);
  void identity(const onnx::NodeProto& n);
  // Channel rearrangements (onnx_import_channels.cpp).
  void slice(const onnx::NodeProto& n);
  void split(const onnx::NodeProto& n);
  void transpose(const onnx::NodeProto& n);
  bool shuffle_reshape(const onnx::NodeProto& n, const std::vector<int64_t>& target);

  // Helpers.
  std::string where(const onnx::NodeProto& n) const;
  bool has(const onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  const Constant* constant(const std::string& name) const;
  // A constant input; `floating` also requires float data (weights), else integers are fine (shapes).
  const Constant& require_constant(const onnx::NodeProto& n, int k, const char* role, bool floating = true) const;
  int value(const onnx::NodeProto& n, int k) const;
  const Shape& shape_of(int v) const { return builder_->shape(v); }
  std::string node_name(const onnx::NodeProto& n, const std::string& weight) ;
  std::string slot_name(const std::string& wanted);
  int emit(const onnx::NodeProto& n, const std::string& name, Attrs attrs, std::vector<int> srcs, NodePayload payload);
  void bind(const onnx::NodeProto& n, int v) { values_[n.output(0)] = v; }
  void spatial_attrs(const onnx::NodeProto& n, const Shape& in, int kh, int kw, int& sh, int& sw, int& ph, int& pw);

  std::string path_, file_;
  OnnxImportOptions options_;
  std::optional<std::string> bytes_;  // the file's contents when given in memory
  onnx::ModelProto proto_;
  int opset_ = 0;
  // The batch size the file was exported with (its input's first dimension, where fixed): tracing
  // exporters write it into reshape targets as a literal, where edgetrain's graph has its own.
  int64_t export_batch_ = 0;
  std::vector<int64_t> reshape_shape(const onnx::NodeProto& n, int64_t batch) const;
  int current_ = -1;  // index of the node being imported
  std::unordered_map<std::string, Constant> constants_;
  std::unordered_map<std::string, std::string> initializer_of_;  // constant name -> initializer name it came from
  std::unordered_map<std::string, int> values_;                   // ONNX tensor -> graph value
  std::unordered_map<std::string, int> producer_;                 // ONNX tensor -> node index
  std::unordered_map<int, int> matmul_bias_;                      // MatMul node -> the Add that holds its bias
  std::set<int> fused_adds_;
  std::unordered_map<int, int> gated_;  // Mul node -> the (Hard)Sigmoid of its other operand: x * gate(x)
  std::set<int> absorbed_;                   // nodes a fusion has taken over (emit nothing)
  std::unordered_map<std::string, std::pair<int, int>> padded_;  // Pad output -> (pad_h, pad_w) for its consumer
  std::set<std::string> read_;  // tensors a live node reads, and the graph's output
  // A computed [N, C, H, W] tensor seen as [N, g, C/g, H, W] (transposed: [N, C/g, g, H, W]) inside a
  // channel shuffle; no op reads it except the next step of that pattern.
  struct GroupedView {
    int value;
    int groups;
    bool transposed;
  };
  std::unordered_map<std::string, GroupedView> grouped_views_;
  std::optional<GraphBuilder> builder_;
  std::vector<NodePayload> payloads_;  // by graph node id
  std::set<std::string> node_names_, slot_names_;
};

}  // namespace edgetrain::io::onnx_detail
