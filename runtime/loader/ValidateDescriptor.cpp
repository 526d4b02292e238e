//===- ValidateDescriptor.cpp - Distrust a model's descriptor -------------===//
//
// A model .so is only trusted as far as its descriptor is self-consistent: a damaged or
// hand-made file must fail with SPCC_ERR_BAD_MODEL, never crash the loader later.
//
//===----------------------------------------------------------------------===//

#include "LastError.h"
#include "Model.h"

namespace spcc::runtime {
namespace {

bool isKnownDType(int32_t dtype) { return dtype >= SPCC_FLOAT32 && dtype <= SPCC_UINT8; }

/// Checks one tensor table ("input" or "output") of `count` entries.
spcc_status validateTensors(const spcc_abi_tensor *tensors, uint32_t count, const char *kind,
                            const std::string &path) {
  if (count > MaxTensors)
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: it claims " + std::to_string(count) +
                                        " " + kind + "s (at most " + std::to_string(MaxTensors) +
                                        " are supported)");
  if (count > 0 && !tensors)
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: the " + kind + " table is missing");
  for (uint32_t i = 0; i < count; ++i) {
    const spcc_abi_tensor &t = tensors[i];
    std::string which = std::string(kind) + " " + std::to_string(i);
    if (!t.name)
      return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + which + " has no name");
    which += " ('" + std::string(t.name) + "')";
    if (!isKnownDType(t.dtype))
      return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + which + " has unknown dtype " +
                                          std::to_string(t.dtype));
    if (t.rank < 0 || t.rank > MaxRank)
      return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + which + " has rank " +
                                          std::to_string(t.rank) + " (expected 0.." +
                                          std::to_string(MaxRank) + ")");
    if (t.rank > 0 && !t.dims)
      return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + which + " has no dims");
    for (int32_t d = 0; d < t.rank; ++d)
      if (t.dims[d] < -1 || (t.dims[d] == -1 && d != 0)) // -1: the run-time batch, on dim 0
        return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + which + " has dimension " +
                                            std::to_string(d) + " = " + std::to_string(t.dims[d]));
  }
  return SPCC_OK;
}

} // namespace

spcc_status validateDescriptor(const spcc_abi_model &descriptor, const std::string &path) {
  if (spcc_status s = validateTensors(descriptor.inputs, descriptor.num_inputs, "input", path))
    return s;
  if (spcc_status s = validateTensors(descriptor.outputs, descriptor.num_outputs, "output", path))
    return s;
  if (!descriptor.run)
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: it has no run function");
  if (descriptor.num_run_failures > SPCC_ABI_MAX_RUN_FAILURES ||
      (descriptor.num_run_failures > 0 && !descriptor.run_failures))
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: its table of " +
                                        std::to_string(descriptor.num_run_failures) +
                                        " run failure messages is missing or too long");
  for (uint32_t i = 0; i < descriptor.num_run_failures; ++i)
    if (!descriptor.run_failures[i])
      return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: run failure message " +
                                          std::to_string(i + 1) + " is missing");
  return SPCC_OK;
}

} // namespace spcc::runtime
