// Precision assignment pass: the element type every value and every gradient is stored and computed
// in, under CompileOptions::activations:
//   f32   every value keeps the type the graph declares (f32 activations, i32 labels).
//   bf16, fx8, fx12, fx14, fx16 (low precision)
//         every activation a node computes has that type, and so does its gradient — except the
//         logits and the loss, which stay f32 (the loss and the predictions are computed in f32), and
//         what a view shares bytes with follows the view. The input stays f32 (the first layer's
//         kernel converts it). Fixed point departs from MuPPET here: BatchNorm's and ReLU's outputs are
//         stored quantised too (MuPPET keeps them f32 and quantises them at the next layer's input),
//         so every saved activation is small; their arithmetic is f32 as MuPPET's.
// Master weights, their gradients and optimizer state stay f32 in every policy; BatchNorm keeps
// f32 statistics and scale/shift. Lowering sizes buffers and states kernel problems from these types.
#pragma once
#include <vector>

#include "compile/autodiff.hpp"
#include "core/dtype.hpp"
#include "graph/graph.hpp"

namespace edgetrain::compiler {

struct Precisions {
  std::vector<DType> values;     // per value
  std::vector<DType> gradients;  // per value: its gradient (f32 where it has none)
  DType weight_gradients = DType::f32;
};

// Throws Error for an activation type other than f32 and the low-precision types.
Precisions assign_precisions(const Graph& graph, const Autodiff& grads, DType activations);

}  // namespace edgetrain::compiler
