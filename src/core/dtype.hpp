// Element types and their immutable property table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgetrain {

// bf16: bfloat16 storage (the upper half of an f32; see core/bf16.hpp). Appended last: values are
// stored codes.
enum class DType : uint8_t { f32, f64, i32, u8, bf16 };

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
  }
  return {"?", 0};
}

constexpr std::size_t dtype_size(DType t) { return dtype_info(t).size; }
// f32, f64 and bf16: the types activations and gradients may have.
constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64 || t == DType::bf16; }

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
