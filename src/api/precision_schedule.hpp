// The muppet precision schedule of a TrainingSession: MuPPET's policy (train/precision_policy.hpp) in
// public terms, and its state in a checkpoint (scalars and decisions in the training JSON, the pooled
// gradients as tensors named "#muppet_sum<l>").
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "edgetrain/training_session.hpp"
#include "io/checkpoint_file.hpp"
#include "train/precision_policy.hpp"

namespace edgetrain::api {

// The public name of an activation type (f32, bf16, fx8 ... fx16).
Precision precision_of(DType activations);
PrecisionDecision to_public(const PolicyDecision& d);
PrecisionPolicyOptions to_internal(const PrecisionScheduleOptions& o);

nlohmann::json policy_json(const PrecisionPolicyState& s);
std::vector<io::NamedTensor> policy_tensors(const PrecisionPolicyState& s);
// The state saved by policy_json and policy_tensors; throws Error naming `path` when it is damaged.
PrecisionPolicyState policy_state(const nlohmann::json& j, const io::CheckpointData& raw, const std::string& path);

}  // namespace edgetrain::api
