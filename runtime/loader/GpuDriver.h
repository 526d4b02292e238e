//===- GpuDriver.h - What a GPU model's run needs of a driver -------------===//
//
// A GPU model (code kinds SPCC_ABI_CODE_GPU and SPCC_ABI_CODE_GPU_EMULATED) runs through one
// driver per loaded model: the CUDA driver, loaded with dlopen only when such a model is loaded
// (CudaDriver.cpp), or the emulated driver, which keeps "device" memory in host memory and runs
// the model's host-compiled kernels (EmulatedDriver.cpp). Both serve the same run (GpuRun.cpp):
// the same copies, arena offsets, launches and stream order.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_LOADER_GPUDRIVER_H
#define SPCC_RUNTIME_LOADER_GPUDRIVER_H

#include "runtime/ModelAbi.h"
#include "spcc/spcc.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace spcc::runtime {

/// A device address (CUdeviceptr).
using DevicePointer = uint64_t;

class GpuDriver {
public:
  virtual ~GpuDriver() = default;
  /// "NVIDIA H200 (sm_90), driver 13.0" / "emulated on the host": what spcc_model_device says.
  virtual const std::string &description() const = 0;

  /// Makes the driver's context current on the calling thread (before any other call on it).
  virtual spcc_status makeCurrent() { return SPCC_OK; }
  /// A stream for one context's runs (nullptr is valid for drivers without streams).
  virtual spcc_status createStream(void **stream) = 0;
  virtual void destroyStream(void *stream) = 0;
  virtual spcc_status allocate(std::size_t bytes, DevicePointer *out) = 0;
  virtual void release(DevicePointer pointer) = 0;
  /// Copies enqueued on \p stream; the host buffer must stay valid until synchronize.
  virtual spcc_status copyToDevice(DevicePointer to, const void *from, std::size_t bytes,
                                   void *stream) = 0;
  virtual spcc_status copyToHost(void *to, DevicePointer from, std::size_t bytes, void *stream) = 0;
  virtual spcc_status copyOnDevice(DevicePointer to, DevicePointer from, std::size_t bytes,
                                   void *stream) = 0;
  /// Enqueues kernel \p kernel of the program with \p launch's grid and \p params
  /// (cuLaunchKernel's kernelParams).
  virtual spcc_status launch(uint32_t kernel, const spcc_abi_gpu_launch &launch, void **params,
                             void *stream) = 0;
  virtual spcc_status synchronize(void *stream) = 0;

  /// Records the launches enqueued on \p stream until endCapture instead of running them (a
  /// CUDA graph). SPCC_ERR_UNSUPPORTED where the driver has no graphs.
  virtual spcc_status beginCapture(void *stream) = 0;
  /// Ends the recording begun on \p stream; *graph replays it with one launchGraph call.
  virtual spcc_status endCapture(void *stream, void **graph) = 0;
  virtual spcc_status launchGraph(void *graph, void *stream) = 0;
  virtual void destroyGraph(void *graph) = 0;
};

/// A context's launch sequence as one graph: the launches depend only on the program and the
/// context's device arena, so after the first run records them, every run replays them with
/// one call instead of one launch per kernel (small models are launch-bound otherwise).
/// Copies stay outside: their host or caller buffers change from run to run.
struct GpuLaunchGraph {
  void *graph = nullptr;
  /// Recording failed or SPCC_GPU_GRAPHS=0: launch kernel by kernel.
  bool off = false;
};

/// The CUDA driver with \p program's module loaded on the first device (its primary context).
/// SPCC_ERR_DEVICE naming the cause when there is no driver, no device, a device older than
/// the program's architecture, or the module does not load (with the JIT's log).
spcc_status openCudaDriver(const spcc_abi_gpu_program &program, const std::string &path,
                           std::unique_ptr<GpuDriver> *out);

/// The emulated driver running \p program's host-compiled kernels.
spcc_status openEmulatedDriver(const spcc_abi_gpu_program &program,
                               std::unique_ptr<GpuDriver> *out);

/// Runs \p model's GPU program once on a context's device arena and stream: inputs copied in,
/// the launches in order (or \p graph's replay), outputs copied out, then waits for the
/// stream.
spcc_status runGpuProgram(GpuDriver &driver, const spcc_abi_model &model, DevicePointer arena,
                          void *stream, GpuLaunchGraph &graph, const void *const *inputs,
                          void *const *outputs, const char *fn);

/// The same with the caller's device buffers, enqueued on \p stream without waiting for it
/// (spcc_run_device); a graph is recorded on \p ownStream, the context's.
spcc_status runGpuProgramOnDevice(GpuDriver &driver, const spcc_abi_model &model,
                                  DevicePointer arena, void *stream, void *ownStream,
                                  GpuLaunchGraph &graph, const DevicePointer *inputs,
                                  const DevicePointer *outputs, const char *fn);

/// Bytes of a tensor of the descriptor (fixed dims).
uint64_t tensorBytes(const spcc_abi_tensor &tensor);

} // namespace spcc::runtime

#endif
