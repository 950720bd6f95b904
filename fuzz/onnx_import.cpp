// ONNX import from bytes: protobuf parsing, opset and initializer decoding, constant folding, every
// operator handler, graph building and the parameter copy.
#include <string>

#include "fuzz/fuzz_target.hpp"
#include "io/onnx/onnx_model.hpp"

namespace edgetrain::fuzz {

void fuzz_one(const uint8_t* data, size_t size) {
  const Network net = io::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
  (void)net.graph.num_classes();
}

}  // namespace edgetrain::fuzz
