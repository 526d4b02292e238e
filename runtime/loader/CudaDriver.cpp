//===- CudaDriver.cpp - The CUDA driver, loaded only for GPU models -------===//
//
// libcuda.so.1 is opened with dlopen when a GPU model is loaded, never linked: the runtime and
// host models need nothing of CUDA. Entry points are resolved with cuGetProcAddress by base name
// for CUDA 12.0's ABI (dlsym of a plain name can return a legacy variant: cuda.h renames many
// calls to _v2 by macro). The few driver types used are declared here, so the runtime builds
// without the CUDA toolkit. Models share the device's primary context, so a process can hold
// PyTorch, ONNX Runtime and spcc models on one GPU.
//
//===----------------------------------------------------------------------===//
#include "GpuDriver.h"
#include "LastError.h"

#include <cstdlib>
#include <dlfcn.h>
#include <vector>

namespace spcc::runtime {
namespace {

// The driver API's types, as cuda.h defines them.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr int CU_JIT_INFO_LOG_BUFFER = 3, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
constexpr int kCudaApiVersion = 12000;

/// The entry points spcc calls, resolved once per driver.
struct CudaApi {
  CUresult (*getProcAddress)(const char *, void **, int, unsigned long long, int *) = nullptr;
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*driverGetVersion)(int *) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*deviceGetAttribute)(int *, int, CUdevice) = nullptr;
  CUresult (*deviceGetName)(char *, int, CUdevice) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
  CUresult (*primaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*ctxSetCurrent)(CUcontext) = nullptr;
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **) = nullptr;
  CUresult (*moduleUnload)(CUmodule) = nullptr;
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *) = nullptr;
  CUresult (*moduleGetGlobal)(CUdeviceptr *, size_t *, CUmodule, const char *) = nullptr;
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t) = nullptr;
  CUresult (*memAlloc)(CUdeviceptr *, size_t) = nullptr;
  CUresult (*memFree)(CUdeviceptr) = nullptr;
  CUresult (*memcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream) = nullptr;
  CUresult (*memcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*memcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*streamCreate)(CUstream *, unsigned) = nullptr;
  CUresult (*streamDestroy)(CUstream) = nullptr;
  CUresult (*streamSynchronize)(CUstream) = nullptr;
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, CUstream, void **, void **) = nullptr;
  CUresult (*getErrorString)(CUresult, const char **) = nullptr;
  // Graphs (optional: without them every run launches kernel by kernel).
  CUresult (*streamBeginCapture)(CUstream, int) = nullptr;
  CUresult (*streamEndCapture)(CUstream, CUgraph *) = nullptr;
  CUresult (*graphInstantiate)(CUgraphExec *, CUgraph, unsigned long long) = nullptr;
  CUresult (*graphDestroy)(CUgraph) = nullptr;
  CUresult (*graphLaunch)(CUgraphExec, CUstream) = nullptr;
  CUresult (*graphExecDestroy)(CUgraphExec) = nullptr;
};

class CudaDriver final : public GpuDriver {
public:
  ~CudaDriver() override {
    if (module) api.moduleUnload(module);
    if (context) api.primaryCtxRelease(device);
    if (library) dlclose(library);
  }

  spcc_status open(const spcc_abi_gpu_program &program, const std::string &path);

  const std::string &description() const override { return text; }
  spcc_status makeCurrent() override {
    return check(api.ctxSetCurrent(context), "cuCtxSetCurrent");
  }
  spcc_status createStream(void **stream) override {
    CUstream created = nullptr;
    if (spcc_status s = check(api.streamCreate(&created, 1 /* non-blocking */), "cuStreamCreate"))
      return s;
    *stream = created;
    return SPCC_OK;
  }
  void destroyStream(void *stream) override { api.streamDestroy(CUstream(stream)); }
  spcc_status allocate(std::size_t bytes, DevicePointer *out) override {
    CUdeviceptr pointer = 0;
    if (spcc_status s = check(api.memAlloc(&pointer, bytes == 0 ? 1 : bytes), "cuMemAlloc"))
      return s;
    *out = pointer;
    return SPCC_OK;
  }
  void release(DevicePointer pointer) override { api.memFree(pointer); }
  spcc_status copyToDevice(DevicePointer to, const void *from, std::size_t bytes,
                           void *stream) override {
    return check(api.memcpyHtoDAsync(to, from, bytes, CUstream(stream)), "cuMemcpyHtoDAsync");
  }
  spcc_status copyToHost(void *to, DevicePointer from, std::size_t bytes, void *stream) override {
    return check(api.memcpyDtoHAsync(to, from, bytes, CUstream(stream)), "cuMemcpyDtoHAsync");
  }
  spcc_status copyOnDevice(DevicePointer to, DevicePointer from, std::size_t bytes,
                           void *stream) override {
    return check(api.memcpyDtoDAsync(to, from, bytes, CUstream(stream)), "cuMemcpyDtoDAsync");
  }
  spcc_status launch(uint32_t kernel, const spcc_abi_gpu_launch &launch, void **params,
                     void *stream) override {
    return check(api.launchKernel(functions[kernel], launch.grid_x, launch.grid_y, 1,
                                  launch.block_x, 1, 1, 0, CUstream(stream), params, nullptr),
                 "cuLaunchKernel");
  }
  spcc_status synchronize(void *stream) override {
    return check(api.streamSynchronize(CUstream(stream)), "cuStreamSynchronize");
  }

  spcc_status beginCapture(void *stream) override {
    if (!hasGraphs) return fail(SPCC_ERR_UNSUPPORTED, "the NVIDIA driver has no graphs");
    return check(api.streamBeginCapture(CUstream(stream), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                 "cuStreamBeginCapture");
  }
  spcc_status endCapture(void *stream, void **graph) override {
    CUgraph captured = nullptr;
    if (spcc_status s =
            check(api.streamEndCapture(CUstream(stream), &captured), "cuStreamEndCapture"))
      return s;
    CUgraphExec executable = nullptr;
    spcc_status s = check(api.graphInstantiate(&executable, captured, 0), "cuGraphInstantiate");
    api.graphDestroy(captured);
    if (s) return s;
    *graph = executable;
    return SPCC_OK;
  }
  spcc_status launchGraph(void *graph, void *stream) override {
    return check(api.graphLaunch(CUgraphExec(graph), CUstream(stream)), "cuGraphLaunch");
  }
  void destroyGraph(void *graph) override { api.graphExecDestroy(CUgraphExec(graph)); }

private:
  /// SPCC_ERR_DEVICE naming \p call and the driver's message for \p result.
  spcc_status check(CUresult result, const char *call) {
    if (result == CUDA_SUCCESS) return SPCC_OK;
    const char *message = nullptr;
    if (api.getErrorString) api.getErrorString(result, &message);
    return fail(SPCC_ERR_DEVICE, std::string(call) + " failed: " +
                                     (message ? message : "error " + std::to_string(result)));
  }
  bool resolve(const char *name, void *slot);

  void *library = nullptr;
  CudaApi api;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUmodule module = nullptr;
  std::vector<CUfunction> functions;
  bool hasGraphs = false;
  std::string text;
};

bool CudaDriver::resolve(const char *name, void *slot) {
  void *function = nullptr;
  int status = 0;
  if (api.getProcAddress(name, &function, kCudaApiVersion, 0, &status) != CUDA_SUCCESS || !function)
    return false;
  *static_cast<void **>(slot) = function;
  return true;
}

spcc_status CudaDriver::open(const spcc_abi_gpu_program &program, const std::string &path) {
  dlerror();
  library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    return fail(SPCC_ERR_DEVICE, path + ": a GPU model (" + program.arch +
                                     "), but no NVIDIA driver is installed (libcuda.so.1: " +
                                     (why ? why : "not found") + ")");
  }
  api.getProcAddress =
      reinterpret_cast<decltype(api.getProcAddress)>(dlsym(library, "cuGetProcAddress_v2"));
  if (!api.getProcAddress)
    return fail(SPCC_ERR_DEVICE, path + ": the NVIDIA driver is older than CUDA 12 (no "
                                        "cuGetProcAddress_v2); update the driver");
  const std::pair<const char *, void *> entries[] = {
      {"cuInit", &api.init},
      {"cuDriverGetVersion", &api.driverGetVersion},
      {"cuDeviceGetCount", &api.deviceGetCount},
      {"cuDeviceGet", &api.deviceGet},
      {"cuDeviceGetAttribute", &api.deviceGetAttribute},
      {"cuDeviceGetName", &api.deviceGetName},
      {"cuDevicePrimaryCtxRetain", &api.primaryCtxRetain},
      {"cuDevicePrimaryCtxRelease", &api.primaryCtxRelease},
      {"cuCtxSetCurrent", &api.ctxSetCurrent},
      {"cuModuleLoadDataEx", &api.moduleLoadDataEx},
      {"cuModuleUnload", &api.moduleUnload},
      {"cuModuleGetFunction", &api.moduleGetFunction},
      {"cuModuleGetGlobal", &api.moduleGetGlobal},
      {"cuMemcpyHtoD", &api.memcpyHtoD},
      {"cuMemAlloc", &api.memAlloc},
      {"cuMemFree", &api.memFree},
      {"cuMemcpyHtoDAsync", &api.memcpyHtoDAsync},
      {"cuMemcpyDtoHAsync", &api.memcpyDtoHAsync},
      {"cuMemcpyDtoDAsync", &api.memcpyDtoDAsync},
      {"cuStreamCreate", &api.streamCreate},
      {"cuStreamDestroy", &api.streamDestroy},
      {"cuStreamSynchronize", &api.streamSynchronize},
      {"cuLaunchKernel", &api.launchKernel},
      {"cuGetErrorString", &api.getErrorString},
  };
  for (const auto &[name, slot] : entries)
    if (!resolve(name, slot))
      return fail(SPCC_ERR_DEVICE,
                  path + ": the NVIDIA driver lacks " + name + " (CUDA 12.0 ABI); update it");
  hasGraphs = resolve("cuStreamBeginCapture", &api.streamBeginCapture) &&
              resolve("cuStreamEndCapture", &api.streamEndCapture) &&
              resolve("cuGraphInstantiateWithFlags", &api.graphInstantiate) &&
              resolve("cuGraphDestroy", &api.graphDestroy) &&
              resolve("cuGraphLaunch", &api.graphLaunch) &&
              resolve("cuGraphExecDestroy", &api.graphExecDestroy);

  std::string where = path + ": ";
  if (spcc_status s = check(api.init(0), "cuInit"))
    return fail(s, where + "the NVIDIA driver does not start: " + spcc_last_error());
  int count = 0;
  if (spcc_status s = check(api.deviceGetCount(&count), "cuDeviceGetCount")) return s;
  if (count == 0) return fail(SPCC_ERR_DEVICE, where + "no NVIDIA GPU is visible");
  if (spcc_status s = check(api.deviceGet(&device, 0), "cuDeviceGet")) return s;
  int major = 0, minor = 0;
  api.deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
  api.deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
  char name[256] = {};
  api.deviceGetName(name, int(sizeof name) - 1, device);
  int wanted = std::atoi(program.arch + 3); // "sm_90" -> 90
  if (major * 10 + minor < wanted)
    return fail(SPCC_ERR_UNSUPPORTED, where + "compiled for " + program.arch + ", but GPU 0 (" +
                                          name + ") is sm_" + std::to_string(major * 10 + minor) +
                                          "; compile it with --target sm_" +
                                          std::to_string(major * 10 + minor));
  if (spcc_status s = check(api.primaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain"))
    return s;
  if (spcc_status s = check(api.ctxSetCurrent(context), "cuCtxSetCurrent")) return s;

  // The cubin when it is for this very architecture, else the PTX through the driver's JIT.
  bool exact = program.cubin && major * 10 + minor == wanted;
  std::vector<char> errorLog(8192), infoLog(8192);
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog.data(), reinterpret_cast<void *>(errorLog.size() - 1), infoLog.data(),
                    reinterpret_cast<void *>(infoLog.size() - 1)};
  CUresult loaded =
      api.moduleLoadDataEx(&module, exact ? program.cubin : program.ptx, 4, options, values);
  if (loaded != CUDA_SUCCESS) {
    module = nullptr;
    check(loaded, "cuModuleLoadDataEx");
    return fail(SPCC_ERR_DEVICE, where + "the GPU code does not load (" +
                                     (exact ? "cubin" : "PTX JIT") + "): " + spcc_last_error() +
                                     (errorLog[0] ? std::string("; log: ") + errorLog.data() : ""));
  }
  for (uint32_t k = 0; k < program.num_kernels; ++k) {
    CUfunction function = nullptr;
    if (spcc_status s = check(api.moduleGetFunction(&function, module, program.kernel_names[k]),
                              "cuModuleGetFunction"))
      return fail(s, where + "kernel " + program.kernel_names[k] + ": " + spcc_last_error());
    functions.push_back(function);
  }
  // The arrays the file carries outside the PTX, copied into their module globals once.
  for (uint32_t i = 0; i < program.num_data; ++i) {
    const spcc_abi_gpu_data &data = program.data[i];
    CUdeviceptr global = 0;
    size_t bytes = 0;
    std::string which = where + "GPU data '" + data.name + "': ";
    if (spcc_status s =
            check(api.moduleGetGlobal(&global, &bytes, module, data.name), "cuModuleGetGlobal"))
      return fail(s, which + spcc_last_error());
    if (bytes != data.size)
      return fail(SPCC_ERR_BAD_MODEL, which + std::to_string(bytes) + " bytes in the module, " +
                                          std::to_string(data.size) + " in the file");
    if (spcc_status s = check(api.memcpyHtoD(global, data.bytes, bytes), "cuMemcpyHtoD"))
      return fail(s, which + spcc_last_error());
  }
  int version = 0;
  api.driverGetVersion(&version);
  text = std::string(name) + " (sm_" + std::to_string(major * 10 + minor) + "), CUDA driver " +
         std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
  return SPCC_OK;
}

} // namespace

spcc_status openCudaDriver(const spcc_abi_gpu_program &program, const std::string &path,
                           std::unique_ptr<GpuDriver> *out) {
  auto driver = std::make_unique<CudaDriver>();
  if (spcc_status s = driver->open(program, path)) return s;
  *out = std::move(driver);
  return SPCC_OK;
}

} // namespace spcc::runtime
