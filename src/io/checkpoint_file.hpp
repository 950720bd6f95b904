// Native checkpoint file: training metadata (JSON) plus named float32 tensors, with a checksum.
//
// Layout (all integers little-endian):
//   header  : magic "EDGETRN\0" (8 bytes), u32 version, u32 flags (0), u64 payload size
//   payload : u64 meta length, meta JSON (UTF-8), u64 tensor count,
//             per tensor { u32 name length, name, u32 rank, i64 dims[rank], f32 data[numel] }
//   trailer : u64 FNV-1a 64 checksum of the payload bytes
// Written through write_file_atomic, so a crash never leaves a partial checkpoint behind.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/shape.hpp"

namespace edgetrain::io {

struct NamedTensor {
  std::string name;
  Shape shape;              // any rank, including 0 (a scalar: numel 1)
  std::vector<float> data;  // row-major, data.size() == shape.numel()
};

struct CheckpointData {
  nlohmann::json meta;  // free-form training metadata (step, epoch, optimizer config, ...)
  std::vector<NamedTensor> tensors;
};

inline constexpr uint32_t kCheckpointVersion = 1;

// Throws edgetrain::Error on inconsistent input (data size vs shape, negative dims, duplicate
// names) or on any write failure (see write_file_atomic).
void write_checkpoint(const std::string& path, const CheckpointData& ckpt);

// Validates, in order: file exists; not truncated; magic; version; checksum; internal sizes.
// Throws edgetrain::Error naming the path, what is wrong and how to fix it.
CheckpointData read_checkpoint(const std::string& path);
// The same checks on a checkpoint file's bytes in memory; `path` only names it in messages.
CheckpointData parse_checkpoint(std::string_view file, const std::string& path);

// nullptr when there is no tensor of that name.
const NamedTensor* find_tensor(const CheckpointData& ckpt, std::string_view name);

// FNV-1a 64 of `bytes` (the checkpoint checksum; exposed for tests and tools).
uint64_t fnv1a64(std::string_view bytes);

}  // namespace edgetrain::io
