// Element types and their immutable property table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgetrain {

// bf16: bfloat16 storage (the upper half of an f32; see core/bf16.hpp). fx8..fx16: dynamic fixed point
// of that word length, int8 (fx8) or int16 storage with one power-of-two scale per tensor, stored after
// the elements (see core/fixed_point.hpp). Appended last: values are stored codes.
enum class DType : uint8_t { f32, f64, i32, u8, bf16, fx8, fx12, fx14, fx16 };

struct DTypeInfo {
  std::string_view name;
  std::size_t size;
};

constexpr DTypeInfo dtype_info(DType t) {
  switch (t) {
    case DType::f32: return {"f32", 4};
    case DType::f64: return {"f64", 8};
    case DType::i32: return {"i32", 4};
    case DType::u8: return {"u8", 1};
    case DType::bf16: return {"bf16", 2};
    case DType::fx8: return {"fx8", 1};
    case DType::fx12: return {"fx12", 2};
    case DType::fx14: return {"fx14", 2};
    case DType::fx16: return {"fx16", 2};
  }
  return {"?", 0};
}

// Bytes per element (a fixed-point tensor also stores its scale: see storage_bytes).
constexpr std::size_t dtype_size(DType t) { return dtype_info(t).size; }
constexpr bool is_fixed_point(DType t) {
  return t == DType::fx8 || t == DType::fx12 || t == DType::fx14 || t == DType::fx16;
}
// The types of real numbers, which activations and gradients may have: floating or fixed point.
constexpr bool is_real(DType t) { return t == DType::f32 || t == DType::f64 || t == DType::bf16 || is_fixed_point(t); }
// Below f32: the storage types of a low-precision step.
constexpr bool is_low_precision(DType t) { return t == DType::bf16 || is_fixed_point(t); }

// A fixed-point tensor of n elements: its elements, padded to 4 bytes, then its scale exponent (an
// int32). Every other tensor: its elements.
constexpr std::size_t fixed_point_payload(std::size_t n, DType t) { return (n * dtype_size(t) + 3) / 4 * 4; }
constexpr std::size_t storage_bytes(std::size_t n, DType t) {
  return is_fixed_point(t) ? fixed_point_payload(n, t) + 4 : n * dtype_size(t);
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::i32;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::u8;
}
struct bf16;  // core/bf16.hpp
template <>
constexpr DType dtype_of<bf16>() {
  return DType::bf16;
}

}  // namespace edgetrain
