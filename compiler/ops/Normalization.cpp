// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createBatchNormalizationSchema() { return nullptr; }
std::unique_ptr<OpSchema> createLayerNormalizationSchema() { return nullptr; }
std::unique_ptr<OpSchema> createSoftmaxSchema() { return nullptr; }
std::unique_ptr<OpSchema> createLogSoftmaxSchema() { return nullptr; }
}
