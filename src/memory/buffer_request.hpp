// BufferRequest: one planned buffer, live over the closed step interval [first_step, last_step]
// of the compiled training step.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace edgetrain {

enum class BufferKind { io, activation, saved_aux, activation_grad, weight_grad, workspace };
inline constexpr std::size_t kBufferKinds = static_cast<std::size_t>(BufferKind::workspace) + 1;
std::string_view buffer_kind_name(BufferKind k);

struct BufferRequest {
  std::string label;
  std::size_t bytes = 0;
  std::size_t alignment = 64;
  int first_step = 0;
  int last_step = 0;
  BufferKind kind = BufferKind::activation;

  bool overlaps_in_time(const BufferRequest& o) const {
    return first_step <= o.last_step && o.first_step <= last_step;
  }
};

}  // namespace edgetrain
