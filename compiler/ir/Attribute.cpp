#include "compiler/ir/Attribute.h"

namespace spcc {

const char *attributeKindName(const Attribute &attr) {
  static const char *const names[] = {"int",    "float",   "string", "ints",
                                      "floats", "strings", "tensor"};
  return names[attr.index()];
}

} // namespace spcc
