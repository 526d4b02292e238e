//===- ValidateDescriptor.cpp - Distrust a model's descriptor -------------===//
//
// A model .so is only trusted as far as its descriptor is self-consistent: a damaged or
// hand-made file must fail with SPCC_ERR_BAD_MODEL, never crash the loader later.
//
//===----------------------------------------------------------------------===//

#include "GpuDriver.h"
#include "LastError.h"
#include "Model.h"

#include <cstdlib>
#include <cstring>

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

/// A GPU model's program: every table present, every index and offset within its bounds.
spcc_status validateGpuProgram(const spcc_abi_model &d, const std::string &path) {
  auto damaged = [&](const std::string &what) {
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: " + what);
  };
  if (!d.gpu) return damaged("a GPU model without its program");
  const spcc_abi_gpu_program &p = *d.gpu;
  if (!p.arch || std::strncmp(p.arch, "sm_", 3) != 0 || std::atoi(p.arch + 3) <= 0)
    return damaged("its GPU architecture is missing or malformed");
  if (d.code_kind == SPCC_ABI_CODE_GPU && !p.ptx) return damaged("its PTX is missing");
  if (p.num_kernels > SPCC_ABI_MAX_GPU_KERNELS || p.num_launches > SPCC_ABI_MAX_GPU_KERNELS)
    return damaged("it claims " + std::to_string(p.num_kernels) + " kernels and " +
                   std::to_string(p.num_launches) + " launches");
  if ((p.num_kernels > 0 && !p.kernel_names) || (p.num_launches > 0 && !p.launches) ||
      (d.num_inputs > 0 && !p.input_offsets) || (d.num_outputs > 0 && !p.output_offsets))
    return damaged("a table of its GPU program is missing");
  if (d.code_kind == SPCC_ABI_CODE_GPU_EMULATED && p.num_kernels > 0 && !p.emulated_kernels)
    return damaged("an emulated GPU model without its host kernels");
  for (uint32_t k = 0; k < p.num_kernels; ++k)
    if (!p.kernel_names[k] || (d.code_kind == SPCC_ABI_CODE_GPU_EMULATED && !p.emulated_kernels[k]))
      return damaged("GPU kernel " + std::to_string(k) + " is missing");
  auto fits = [&](uint64_t offset, uint64_t bytes) {
    return offset <= p.device_arena_bytes && bytes <= p.device_arena_bytes - offset;
  };
  for (int io = 0; io < 2; ++io) {
    uint32_t count = io == 0 ? d.num_inputs : d.num_outputs;
    const spcc_abi_tensor *tensors = io == 0 ? d.inputs : d.outputs;
    const uint64_t *offsets = io == 0 ? p.input_offsets : p.output_offsets;
    for (uint32_t i = 0; i < count; ++i) {
      const spcc_abi_tensor &t = tensors[i];
      if (t.rank > 0 && t.dims[0] == -1)
        return damaged("GPU models take no run-time batch ('" + std::string(t.name) + "')");
      if (!fits(offsets[i], tensorBytes(t)))
        return damaged("'" + std::string(t.name) + "' lies outside the device arena");
    }
  }
  if (p.num_data > SPCC_ABI_MAX_GPU_KERNELS || (p.num_data > 0 && !p.data))
    return damaged("its table of GPU data arrays is missing or too long");
  for (uint32_t i = 0; i < p.num_data; ++i) {
    const spcc_abi_gpu_data &data = p.data[i];
    if (!data.name || !data.bytes || data.size == 0 ||
        (d.code_kind == SPCC_ABI_CODE_GPU_EMULATED && !data.host_global))
      return damaged("GPU data array " + std::to_string(i) + " is malformed");
  }
  for (uint32_t l = 0; l < p.num_launches; ++l) {
    const spcc_abi_gpu_launch &launch = p.launches[l];
    std::string which = "GPU launch " + std::to_string(l);
    if (launch.kernel >= p.num_kernels || launch.num_args > SPCC_ABI_MAX_GPU_ARGS ||
        (launch.num_args > 0 && !launch.args))
      return damaged(which + " is malformed");
    if (launch.grid_x == 0 || launch.grid_y == 0 || launch.block_x == 0 || launch.block_x > 1024)
      return damaged(which + " has an empty or oversized grid");
    for (uint32_t a = 0; a < launch.num_args; ++a) {
      const spcc_abi_gpu_arg &arg = launch.args[a];
      if (arg.kind > SPCC_ABI_GPU_ARG_NULL ||
          (arg.kind == SPCC_ABI_GPU_ARG_DEVICE_POINTER && arg.value >= p.device_arena_bytes))
        return damaged(which + " argument " + std::to_string(a) + " is malformed");
    }
  }
  return SPCC_OK;
}

} // namespace

spcc_status validateDescriptor(const spcc_abi_model &descriptor, const std::string &path) {
  if (spcc_status s = validateTensors(descriptor.inputs, descriptor.num_inputs, "input", path))
    return s;
  if (spcc_status s = validateTensors(descriptor.outputs, descriptor.num_outputs, "output", path))
    return s;
  bool gpu = descriptor.code_kind == SPCC_ABI_CODE_GPU ||
             descriptor.code_kind == SPCC_ABI_CODE_GPU_EMULATED;
  if (gpu) {
    if (spcc_status s = validateGpuProgram(descriptor, path)) return s;
  } else if (!descriptor.run) {
    return fail(SPCC_ERR_BAD_MODEL, path + ": damaged model: it has no run function");
  }
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
