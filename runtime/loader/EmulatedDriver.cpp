//===- EmulatedDriver.cpp - GPU programs run on the host ------------------===//
//
// For models compiled with `spcc --emulate-gpu`: device memory is host memory, copies are
// memcpy, and a launch calls the kernel's host-compiled twin, which runs every block and thread
// of the grid in turn. It checks the program's indexing, arithmetic, offsets and launch order
// without a GPU; not races, memory ordering or speed.
//
//===----------------------------------------------------------------------===//
#include "GpuDriver.h"
#include "LastError.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace spcc::runtime {
namespace {

/// One recorded launch: the kernel, its grid and its arguments' values.
struct RecordedLaunch {
  uint32_t kernel;
  spcc_abi_gpu_launch launch;
  std::vector<uint64_t> values; // an int32 argument in the low four bytes
};
using RecordedGraph = std::vector<RecordedLaunch>;

class EmulatedDriver final : public GpuDriver {
public:
  explicit EmulatedDriver(const spcc_abi_gpu_program &program) : program(program) {}

  const std::string &description() const override { return text; }
  /// A stream is a token that keys its recording (launches run when they are enqueued).
  spcc_status createStream(void **stream) override {
    *stream = new char;
    return SPCC_OK;
  }
  void destroyStream(void *stream) override { delete static_cast<char *>(stream); }
  spcc_status allocate(std::size_t bytes, DevicePointer *out) override {
    std::size_t rounded = (bytes + SPCC_ABI_ARENA_ALIGNMENT - 1) / SPCC_ABI_ARENA_ALIGNMENT *
                          SPCC_ABI_ARENA_ALIGNMENT;
    void *memory = std::aligned_alloc(SPCC_ABI_ARENA_ALIGNMENT,
                                      rounded == 0 ? SPCC_ABI_ARENA_ALIGNMENT : rounded);
    if (!memory)
      return fail(SPCC_ERR_OUT_OF_MEMORY,
                  "cannot allocate " + std::to_string(bytes) + " bytes of emulated device memory");
    *out = reinterpret_cast<DevicePointer>(memory);
    return SPCC_OK;
  }
  void release(DevicePointer pointer) override { std::free(reinterpret_cast<void *>(pointer)); }
  spcc_status copyToDevice(DevicePointer to, const void *from, std::size_t bytes, void *) override {
    std::memcpy(reinterpret_cast<void *>(to), from, bytes);
    return SPCC_OK;
  }
  spcc_status copyToHost(void *to, DevicePointer from, std::size_t bytes, void *) override {
    std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
    return SPCC_OK;
  }
  spcc_status copyOnDevice(DevicePointer to, DevicePointer from, std::size_t bytes,
                           void *) override {
    std::memmove(reinterpret_cast<void *>(to), reinterpret_cast<const void *>(from), bytes);
    return SPCC_OK;
  }
  spcc_status launch(uint32_t kernel, const spcc_abi_gpu_launch &launch, void **params,
                     void *stream) override {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto recording = recordings.find(stream);
      if (recording != recordings.end()) {
        RecordedLaunch recorded{kernel, launch, std::vector<uint64_t>(launch.num_args, 0)};
        for (uint32_t a = 0; a < launch.num_args; ++a)
          std::memcpy(&recorded.values[a], params[a],
                      launch.args[a].kind == SPCC_ABI_GPU_ARG_INT32 ? 4 : 8);
        recording->second.push_back(std::move(recorded));
        return SPCC_OK;
      }
    }
    program.emulated_kernels[kernel](params, int32_t(launch.grid_x), int32_t(launch.grid_y),
                                     int32_t(launch.block_x));
    return SPCC_OK;
  }
  spcc_status synchronize(void *) override { return SPCC_OK; }

  spcc_status beginCapture(void *stream) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (!recordings.emplace(stream, RecordedGraph()).second)
      return fail(SPCC_ERR_INVALID_ARGUMENT, "the stream is already being recorded");
    return SPCC_OK;
  }
  spcc_status endCapture(void *stream, void **graph) override {
    std::lock_guard<std::mutex> lock(mutex);
    auto recording = recordings.find(stream);
    if (recording == recordings.end())
      return fail(SPCC_ERR_INVALID_ARGUMENT, "the stream is not being recorded");
    *graph = new RecordedGraph(std::move(recording->second));
    recordings.erase(recording);
    return SPCC_OK;
  }
  spcc_status launchGraph(void *graph, void *stream) override {
    for (RecordedLaunch &recorded : *static_cast<RecordedGraph *>(graph)) {
      std::vector<void *> params;
      for (uint64_t &value : recorded.values) params.push_back(&value);
      if (spcc_status s = launch(recorded.kernel, recorded.launch, params.data(), stream)) return s;
    }
    return SPCC_OK;
  }
  void destroyGraph(void *graph) override { delete static_cast<RecordedGraph *>(graph); }

private:
  const spcc_abi_gpu_program &program;
  std::mutex mutex;
  std::map<void *, RecordedGraph> recordings; ///< streams being recorded
  std::string text = std::string("emulated on the host (") + program.arch + " program)";
};

} // namespace

spcc_status openEmulatedDriver(const spcc_abi_gpu_program &program,
                               std::unique_ptr<GpuDriver> *out) {
  // The arrays the file carries apart from the kernels, copied into the kernels' globals as the
  // CUDA driver copies them into the module's (skipped when they hold them already: a file
  // loaded twice shares its globals, which a running context may be reading).
  for (uint32_t i = 0; i < program.num_data; ++i) {
    const spcc_abi_gpu_data &data = program.data[i];
    if (std::memcmp(data.host_global, data.bytes, data.size) != 0)
      std::memcpy(data.host_global, data.bytes, data.size);
  }
  *out = std::make_unique<EmulatedDriver>(program);
  return SPCC_OK;
}

} // namespace spcc::runtime
