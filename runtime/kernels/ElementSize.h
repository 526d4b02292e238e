//===- ElementSize.h - Moving elements of any dtype by their width -------===//
#ifndef SPCC_RUNTIME_KERNELS_ELEMENTSIZE_H
#define SPCC_RUNTIME_KERNELS_ELEMENTSIZE_H

#include <cstdint>

namespace spcc::kernels {

/// Calls \p fn with an unsigned integer type of \p size bytes (1, 2, 4 or 8): copying through it
/// moves elements of any dtype bit for bit.
template <typename Fn> void dispatchSize(int32_t size, Fn &&fn) {
  switch (size) {
  case 1: fn(uint8_t{}); break;
  case 2: fn(uint16_t{}); break;
  case 4: fn(uint32_t{}); break;
  default: fn(uint64_t{}); break;
  }
}

} // namespace spcc::kernels

#endif
