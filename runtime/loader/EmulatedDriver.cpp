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

namespace spcc::runtime {
namespace {

class EmulatedDriver final : public GpuDriver {
public:
  explicit EmulatedDriver(const spcc_abi_gpu_program &program) : program(program) {}

  const std::string &description() const override { return text; }
  spcc_status createStream(void **stream) override {
    *stream = nullptr;
    return SPCC_OK;
  }
  void destroyStream(void *) override {}
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
                     void *) override {
    program.emulated_kernels[kernel](params, int32_t(launch.grid_x), int32_t(launch.grid_y),
                                     int32_t(launch.block_x));
    return SPCC_OK;
  }
  spcc_status synchronize(void *) override { return SPCC_OK; }

private:
  const spcc_abi_gpu_program &program;
  std::string text = std::string("emulated on the host (") + program.arch + " program)";
};

} // namespace

spcc_status openEmulatedDriver(const spcc_abi_gpu_program &program,
                               std::unique_ptr<GpuDriver> *out) {
  *out = std::make_unique<EmulatedDriver>(program);
  return SPCC_OK;
}

} // namespace spcc::runtime
