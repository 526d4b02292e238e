// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createMaxPoolSchema() { return nullptr; }
std::unique_ptr<OpSchema> createAveragePoolSchema() { return nullptr; }
std::unique_ptr<OpSchema> createGlobalAveragePoolSchema() { return nullptr; }
}
