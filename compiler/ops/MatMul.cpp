// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createMatMulSchema() { return nullptr; }
std::unique_ptr<OpSchema> createGemmSchema() { return nullptr; }
}
