// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createConvSchema() { return nullptr; }
}
