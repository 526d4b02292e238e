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

/// Records the program's launches into \p graph on \p stream; leaves it off when the driver
/// cannot (the runs go on launching kernel by kernel).
void recordGraph(GpuDriver &driver, const spcc_abi_gpu_program &program, DevicePointer arena,
                 void *stream, GpuLaunchGraph &graph, const char *fn) {
  graph.off = true;
  if (driver.beginCapture(stream)) return;
  spcc_status enqueued = enqueueLaunches(driver, program, arena, stream, fn);
  void *recorded = nullptr;
  if (driver.endCapture(stream, &recorded) || enqueued) {
    if (recorded) driver.destroyGraph(recorded);
    return;
  }
  graph.graph = recorded;
  graph.off = false;
}

/// The program's launches on \p stream: \p graph's replay once recorded; otherwise one by one,
/// then recorded on \p ownStream for the next runs.
spcc_status enqueueProgram(GpuDriver &driver, const spcc_abi_gpu_program &program,
                           DevicePointer arena, void *stream, void *ownStream,
                           GpuLaunchGraph &graph, const char *fn) {
  if (graph.graph) {
    if (spcc_status s = driver.launchGraph(graph.graph, stream))
      return fail(s, std::string(fn) + ": graph launch: " + spcc_last_error());
    return SPCC_OK;
  }
  if (spcc_status s = enqueueLaunches(driver, program, arena, stream, fn)) return s;
  if (!graph.off) recordGraph(driver, program, arena, ownStream, graph, fn);
  return SPCC_OK;
}

/// Every run's order: each input copied in (copyIn(i, device address)), the launches, each
/// output copied out (copyOut(i, device address)), all enqueued on \p stream.
template <typename CopyIn, typename CopyOut>
spcc_status enqueueRun(GpuDriver &driver, const spcc_abi_model &model, DevicePointer arena,
                       void *stream, void *ownStream, GpuLaunchGraph &graph, const char *fn,
                       CopyIn copyIn, CopyOut copyOut) {
  const spcc_abi_gpu_program &program = *model.gpu;
  if (spcc_status s = driver.makeCurrent()) return s;
  for (uint32_t i = 0; i < model.num_inputs; ++i)
    if (spcc_status s = copyIn(i, arena + program.input_offsets[i])) return s;
  if (spcc_status s = enqueueProgram(driver, program, arena, stream, ownStream, graph, fn))
    return s;
  for (uint32_t i = 0; i < model.num_outputs; ++i)
    if (spcc_status s = copyOut(i, arena + program.output_offsets[i])) return s;
  return SPCC_OK;
}

} // namespace

spcc_status runGpuProgram(GpuDriver &driver, const spcc_abi_model &model, DevicePointer arena,
                          void *stream, GpuLaunchGraph &graph, const void *const *inputs,
                          void *const *outputs, const char *fn) {
  spcc_status s = enqueueRun(
      driver, model, arena, stream, stream, graph, fn,
      [&](uint32_t i, DevicePointer to) {
        return driver.copyToDevice(to, inputs[i], tensorBytes(model.inputs[i]), stream);
      },
      [&](uint32_t i, DevicePointer from) {
        return driver.copyToHost(outputs[i], from, tensorBytes(model.outputs[i]), stream);
      });
  return s ? s : driver.synchronize(stream);
}

spcc_status runGpuProgramOnDevice(GpuDriver &driver, const spcc_abi_model &model,
                                  DevicePointer arena, void *stream, void *ownStream,
                                  GpuLaunchGraph &graph, const DevicePointer *inputs,
                                  const DevicePointer *outputs, const char *fn) {
  return enqueueRun(
      driver, model, arena, stream, ownStream, graph, fn,
      [&](uint32_t i, DevicePointer to) {
        return driver.copyOnDevice(to, inputs[i], tensorBytes(model.inputs[i]), stream);
      },
      [&](uint32_t i, DevicePointer from) {
        return driver.copyOnDevice(outputs[i], from, tensorBytes(model.outputs[i]), stream);
      });
}

} // namespace spcc::runtime
