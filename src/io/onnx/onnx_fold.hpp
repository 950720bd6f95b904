// Constant folding at import: the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains exporters
// emit around reshapes, Constant nodes, and arithmetic on constants, evaluated once so that the
// graph that remains holds only real layers.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "io/onnx/onnx_tensor.hpp"

namespace edgetrain::io::onnx_detail {

// Operators fold() evaluates when every input is a constant.
bool is_foldable(const std::string& op_type);

// The node's outputs; `inputs[k]` is null for an absent optional input. Throws Error naming `where`.
std::vector<Constant> fold(const onnx::NodeProto& n, const std::vector<const Constant*>& inputs, int opset,
                           const std::string& where);

// ONNX Reshape semantics: 0 copies the input dimension (unless allowzero), one -1 is inferred.
std::vector<int64_t> reshape_target(const std::vector<int64_t>& in, const std::vector<int64_t>& shape, bool allowzero,
                                    const std::string& where);
// Squeeze / Unsqueeze on a shape; negative axes count from the end.
std::vector<int64_t> squeeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes, const std::string& where);
std::vector<int64_t> unsqueeze_dims(const std::vector<int64_t>& in, std::vector<int64_t> axes,
                                    const std::string& where);

}  // namespace edgetrain::io::onnx_detail
