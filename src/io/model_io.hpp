// Models on disk: build a zoo model, and save / load a full training checkpoint (weights, BN
// statistics, optimizer state and metadata) through the checksummed, atomically written file.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "io/checkpoint_file.hpp"
#include "runtime/network.hpp"
#include "runtime/optimizer_state.hpp"

namespace edgetrain::io {

// A zoo architecture with freshly initialised parameters.
Network make_zoo_model(const std::string& arch, int64_t num_classes, const Shape& input_chw, double width_mult,
                     uint64_t seed);

// `training` carries the trainer's metadata (epoch, seeds, optimizer and schedule settings, ...);
// `extra` more tensors of the run (the precision policy's pooled gradients), by unique names with a '#'.
void save_checkpoint(const std::string& path, const Network& model, const OptimizerState* optimizer,
                     const nlohmann::json& training, std::vector<NamedTensor> extra = {});

struct LoadedCheckpoint {
  Network model;
  nlohmann::json training;
  CheckpointData raw;  // keeps the optimizer tensors until restore_optimizer
};
LoadedCheckpoint load_checkpoint(const std::string& path);
// The model in a checkpoint already read (read_checkpoint / parse_checkpoint); `path` names it in messages.
LoadedCheckpoint load_checkpoint(CheckpointData raw, const std::string& path);
// Copies the optimizer state saved in `raw` into `optimizer`, whose slots belong to `graph`'s
// parameters (same trainable set and optimizer required).
void restore_optimizer(const CheckpointData& raw, const Graph& graph, OptimizerState& optimizer);

}  // namespace edgetrain::io
