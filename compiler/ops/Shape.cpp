// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createShapeSchema() { return nullptr; }
std::unique_ptr<OpSchema> createReshapeSchema() { return nullptr; }
std::unique_ptr<OpSchema> createFlattenSchema() { return nullptr; }
std::unique_ptr<OpSchema> createSqueezeSchema() { return nullptr; }
std::unique_ptr<OpSchema> createUnsqueezeSchema() { return nullptr; }
std::unique_ptr<OpSchema> createExpandSchema() { return nullptr; }
std::unique_ptr<OpSchema> createConstantOfShapeSchema() { return nullptr; }
std::unique_ptr<OpSchema> createRangeSchema() { return nullptr; }
}
