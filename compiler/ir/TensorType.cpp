#include "compiler/ir/TensorType.h"

namespace spcc {

int64_t TensorType::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

bool TensorType::hasRepresentableSize() const {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return false;
    if (d > 0 && n > kMaxTensorElements / d) return false;
    n *= d;
  }
  return true;
}

std::string dimsToString(llvm::ArrayRef<int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string TensorType::str() const { return dtypeName(dtype).str() + dimsToString(dims); }

} // namespace spcc
