// Checkpoint load from bytes: the container (header, checksum, tensor table) and the model it holds
// (metadata, graph JSON, parameter and state tensors). A mutated file almost never keeps a valid
// checksum, so while the reserved flags word is 0 (as written) the payload size and the checksum are
// recomputed first and the fuzzer reaches the payload; other flags values test the header checks as is.
#include <cstring>
#include <string>

#include "fuzz/fuzz_target.hpp"
#include "io/checkpoint_file.hpp"
#include "io/model_io.hpp"

namespace {

void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

namespace edgetrain::fuzz {

void fuzz_one(const uint8_t* data, size_t size) {
  std::string file(reinterpret_cast<const char*>(data), size);
  constexpr size_t kHeader = 24, kTrailer = 8;
  if (file.size() >= kHeader + kTrailer && file.compare(12, 4, std::string(4, '\0')) == 0) {
    const size_t payload = file.size() - kHeader - kTrailer;
    put_u64(file.data() + 16, payload);
    put_u64(file.data() + kHeader + payload, io::fnv1a64(std::string_view(file).substr(kHeader, payload)));
  }
  io::CheckpointData raw = io::parse_checkpoint(file, "fuzz.ckpt");
  const io::LoadedCheckpoint c = io::load_checkpoint(std::move(raw), "fuzz.ckpt");
  (void)c.model.graph.num_classes();
}

}  // namespace edgetrain::fuzz
