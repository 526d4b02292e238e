//===- AlignedVector.h - std::vector on 64-byte boundaries ---------------===//
//
// Activations in a compiled model live in a 64-byte aligned arena, so a SIMD
// vector of them never straddles a cache line. Buffers that stand in for
// them (the tuner's trial data, spcc-kbench's operands) use this to be timed
// under the same conditions.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_SUPPORT_ALIGNEDVECTOR_H
#define SPCC_SUPPORT_ALIGNEDVECTOR_H

#include <cstddef>
#include <new>
#include <vector>

namespace spcc {

template <typename T> struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};

  CacheLineAllocator() = default;
  template <typename U> CacheLineAllocator(const CacheLineAllocator<U> &) {}

  T *allocate(std::size_t count) {
    return static_cast<T *>(::operator new(count * sizeof(T), kAlignment));
  }
  void deallocate(T *pointer, std::size_t) { ::operator delete(pointer, kAlignment); }

  template <typename U> bool operator==(const CacheLineAllocator<U> &) const { return true; }
  template <typename U> bool operator!=(const CacheLineAllocator<U> &) const { return false; }
};

/// A vector whose data starts on a 64-byte boundary.
template <typename T> using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

} // namespace spcc

#endif
