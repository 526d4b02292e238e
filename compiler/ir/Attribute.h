//===- Attribute.h - Node attributes -------------------------------------===//
#ifndef SPCC_IR_ATTRIBUTE_H
#define SPCC_IR_ATTRIBUTE_H

#include "compiler/ir/Tensor.h"

#include <string>
#include <variant>
#include <vector>

namespace spcc {

/// One attribute value: the ONNX attribute kinds spcc supports (graphs are not).
using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

/// Kind name used in messages: "int", "float", "string", "ints", "floats", "strings", "tensor".
const char *attributeKindName(const Attribute &attr);

} // namespace spcc

#endif
