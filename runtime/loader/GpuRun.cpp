//===- GpuRun.cpp - One run of a GPU model's program ----------------------===//
#include "GpuDriver.h"
#include "LastError.h"

#include <vector>

namespace spcc::runtime {

uint64_t tensorBytes(const spcc_abi_tensor &tensor) {
  uint64_t bytes = tensor.dtype == SPCC_INT64                                   ? 8
                   : tensor.dtype == SPCC_FLOAT32 || tensor.dtype == SPCC_INT32 ? 4
                   : tensor.dtype == SPCC_FLOAT16                               ? 2
                                                                                : 1;
  for (int32_t d = 0; d < tensor.rank; ++d) bytes *= uint64_t(tensor.dims[d]);
  return bytes;
}

namespace {

/// Enqueues the program's launches in order on \p stream over the device arena \p arena.
spcc_status enqueueLaunches(GpuDriver &driver, const spcc_abi_gpu_program &program,
                            DevicePointer arena, void *stream, const char *fn) {
  // The values each launch's parameters point to, as cuLaunchKernel reads them.
  std::vector<uint64_t> pointers(SPCC_ABI_MAX_GPU_ARGS);
  std::vector<int32_t> integers(SPCC_ABI_MAX_GPU_ARGS);
  std::vector<void *> params(SPCC_ABI_MAX_GPU_ARGS);
  for (uint32_t l = 0; l < program.num_launches; ++l) {
    const spcc_abi_gpu_launch &launch = program.launches[l];
    for (uint32_t a = 0; a < launch.num_args; ++a) {
      const spcc_abi_gpu_arg &arg = launch.args[a];
      if (arg.kind == SPCC_ABI_GPU_ARG_INT32) {
        integers[a] = int32_t(arg.value);
        params[a] = &integers[a];
      } else {
        pointers[a] = arg.kind == SPCC_ABI_GPU_ARG_NULL ? 0 : arena + arg.value;
        params[a] = &pointers[a];
      }
    }
    if (spcc_status s = driver.launch(launch.kernel, launch, params.data(), stream))
      return fail(s, std::string(fn) + ": launch " + std::to_string(l) + " (" +
                         program.kernel_names[launch.kernel] + "): " + spcc_last_error());
  }
  return SPCC_OK;
}

} // namespace

spcc_status runGpuProgram(GpuDriver &driver, const spcc_abi_model &model, DevicePointer arena,
                          void *stream, const void *const *inputs, void *const *outputs,
                          const char *fn) {
  const spcc_abi_gpu_program &program = *model.gpu;
  if (spcc_status s = driver.makeCurrent()) return s;
  for (uint32_t i = 0; i < model.num_inputs; ++i)
    if (spcc_status s = driver.copyToDevice(arena + program.input_offsets[i], inputs[i],
                                            tensorBytes(model.inputs[i]), stream))
      return s;
  if (spcc_status s = enqueueLaunches(driver, program, arena, stream, fn)) return s;
  for (uint32_t i = 0; i < model.num_outputs; ++i)
    if (spcc_status s = driver.copyToHost(outputs[i], arena + program.output_offsets[i],
                                          tensorBytes(model.outputs[i]), stream))
      return s;
  return driver.synchronize(stream);
}

spcc_status runGpuProgramOnDevice(GpuDriver &driver, const spcc_abi_model &model,
                                  DevicePointer arena, void *stream, const DevicePointer *inputs,
                                  const DevicePointer *outputs, const char *fn) {
  const spcc_abi_gpu_program &program = *model.gpu;
  if (spcc_status s = driver.makeCurrent()) return s;
  for (uint32_t i = 0; i < model.num_inputs; ++i)
    if (spcc_status s = driver.copyOnDevice(arena + program.input_offsets[i], inputs[i],
                                            tensorBytes(model.inputs[i]), stream))
      return s;
  if (spcc_status s = enqueueLaunches(driver, program, arena, stream, fn)) return s;
  for (uint32_t i = 0; i < model.num_outputs; ++i)
    if (spcc_status s = driver.copyOnDevice(outputs[i], arena + program.output_offsets[i],
                                            tensorBytes(model.outputs[i]), stream))
      return s;
  return SPCC_OK;
}

} // namespace spcc::runtime
