// GraphBuilder: builds a Graph layer by layer with shapes inferred as it goes (batch 1).
// finish() adds the labels input and the SoftmaxCrossEntropy loss on the logits.
#pragma once
#include "graph/graph.hpp"

namespace edgetrain {

class GraphBuilder {
 public:
  explicit GraphBuilder(Shape input_chw);  // {C, H, W}

  int input() const { return graph_.input; }
  const Shape& shape(int value) const { return graph_.values[value].shape; }
  int64_t channels(int value) const { return shape(value)[1]; }

  int conv(const std::string& name, int src, int64_t out_channels, int kernel, int stride = 1, int pad = 0,
           int groups = 1, bool bias = false, int dilation = 1);
  int conv(const std::string& name, int src, const Conv2dAttrs& attrs);
  int batch_norm(const std::string& name, int src, double eps = 1e-5, double momentum = 0.1);
  int relu(const std::string& name, int src);
  int relu6(const std::string& name, int src);
  int pointwise(const std::string& name, int src, const PointwiseAttrs& attrs);
  int max_pool(const std::string& name, int src, int kernel, int stride, int pad = 0, bool ceil_mode = false);
  int avg_pool(const std::string& name, int src, int kernel, int stride, int pad = 0, bool ceil_mode = false,
               bool count_include_pad = true);
  int global_avg_pool(const std::string& name, int src);
  int linear(const std::string& name, int src, int64_t out_features, bool bias = true);
  int add(const std::string& name, int a, int b);
  int mul(const std::string& name, int a, int b);  // b of a's shape or [N, C, 1, 1] (a gate)
  int concat(const std::string& name, const std::vector<int>& srcs);
  int flatten(const std::string& name, int src);
  int channel_slice(const std::string& name, int src, int64_t begin, int64_t end);  // channels [begin, end)
  int channel_shuffle(const std::string& name, int src, int groups);
  int dropout(const std::string& name, int src, double p);

  // Generic: any op with its attributes.
  int node(const std::string& name, Attrs attrs, const std::vector<int>& srcs);

  Graph finish(int logits);

 private:
  Graph graph_;
};

}  // namespace edgetrain
