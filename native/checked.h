// Checks the binding applies to every array before JS sees it, and the one place raw bytes become an
// array. No N-API here, so the fuzz target (native/fuzz) runs exactly this code under AddressSanitizer.
#pragma once

#include <new>
#include <string>

#include "mlx/mlx.h"

namespace mlxt {

namespace mx = mlx::core;

// An allocation refused before MLX attempts it; the binding turns it into MLX_OUT_OF_MEMORY with a
// message naming the shape and the size.
struct MemoryError : std::bad_alloc {
  std::string message;
  explicit MemoryError(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

std::string ShapeString(const mx::Shape& s);

// Refuses an array with a negative dimension (std::invalid_argument) and one that alone exceeds MLX's
// memory limit (MemoryError): MLX's CPU allocator does not check malloc's result, so such an array
// would make its kernel write through a null pointer when evaluated.
void CheckArrayFits(const mx::array& a);

// A new array of `dtype` and `shape` owning a copy of the `have` bytes at `src`; std::out_of_range when
// `have` is not exactly the shape's size (computed without overflow).
mx::array ArrayFromBytes(const void* src, size_t have, const mx::Shape& shape, mx::Dtype dtype);

}  // namespace mlxt
