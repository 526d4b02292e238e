//===- AlignedVector.h - std::vector on 64-byte boundaries ---------------===//
//
// Activations in a compiled model live in a 64-byte aligned arena, so a SIMD
// vector of them never straddles a cache line, and an arena of 2 MiB or more
// is huge-page aligned and madvised for transparent huge pages (the runtime's
// Context.cpp). Buffers that stand in for them (the tuner's trial data,
// spcc-kbench's operands) use this to be timed under the same conditions.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_SUPPORT_ALIGNEDVECTOR_H
#define SPCC_SUPPORT_ALIGNEDVECTOR_H

#include <cstddef>
#include <new>
#include <vector>

#include <sys/mman.h>

namespace spcc {

template <typename T> struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t(2) << 20;

  CacheLineAllocator() = default;
  template <typename U> CacheLineAllocator(const CacheLineAllocator<U> &) {}

  T *allocate(std::size_t count) {
    std::size_t bytes = count * sizeof(T);
    T *pointer = static_cast<T *>(::operator new(bytes, alignmentFor(bytes)));
    if (bytes >= kHugePage) madvise(pointer, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
    return pointer;
  }
  void deallocate(T *pointer, std::size_t count) {
    ::operator delete(pointer, alignmentFor(count * sizeof(T)));
  }
  static std::align_val_t alignmentFor(std::size_t bytes) {
    return std::align_val_t(bytes >= kHugePage ? kHugePage : 64);
  }

  template <typename U> bool operator==(const CacheLineAllocator<U> &) const { return true; }
  template <typename U> bool operator!=(const CacheLineAllocator<U> &) const { return false; }
};

/// A vector whose data starts on a 64-byte boundary (a 2 MiB one from 2 MiB on).
template <typename T> using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

} // namespace spcc

#endif
