// ONNX in and out. Import turns a CNN exported by PyTorch (opsets 9-18) or a common converter into a
// trainable Network: initializers become parameters with their names kept, BatchNormalization running
// statistics become state, and training semantics are restored (BatchNorm trains on batch statistics,
// Dropout is active). Export writes any Network as an inference graph that ONNX Runtime, TensorRT,
// OpenVINO and OpenCV run. This folder is the only place that includes onnx headers.
#pragma once
#include <string>

#include "runtime/network.hpp"

namespace edgetrain::io {

struct OnnxImportOptions {
  Shape input_chw;    // fixes dynamic C/H/W dimensions of the input (empty: the file must give them)
  uint64_t seed = 0;  // initialises the few parameters ONNX does not carry (none for supported ops)
};

// Throws Error with one line naming the file, and the node where it applies: not an ONNX file,
// truncated, opset out of range, unsupported operator (with the supported list), unfixable shapes.
Network import_onnx(const std::string& path, const OnnxImportOptions& options = {});
// The same from an ONNX file's bytes in memory; `path` names it in messages (and its stem is the default
// architecture name).
Network import_onnx_bytes(std::string bytes, const std::string& path, const OnnxImportOptions& options = {});

struct OnnxExportOptions {
  bool fold_batch_norm = false;  // fold BatchNorm into the preceding convolution
  int opset = 13;  // 10-17; 10 writes ReLU6 as Clip-6 with attribute bounds, which OpenCV <= 4.6 needs
};

// Writes atomically, after the file passed onnx::checker. Names, class labels, input normalisation
// and the architecture go into the model's metadata_props (keys "edgetrain.*").
void export_onnx(const Network& model, const std::string& path, const OnnxExportOptions& options = {});

// The ONNX operators import understands, comma-separated (for error messages and docs).
std::string supported_onnx_operators();

}  // namespace edgetrain::io
