//===- Model.h - A loaded model and an execution context ------------------===//
//
// The definitions behind the C API's opaque handles. A model owns the dlopen handle of a
// compiled model .so and points at its descriptor (which lives in the .so's read-only data);
// a context owns one 64-byte aligned activation arena.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_LOADER_MODEL_H
#define SPCC_RUNTIME_LOADER_MODEL_H

#include "Export.h"
#include "GpuDriver.h"
#include "SampleWorkers.h"
#include "runtime/ModelAbi.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

/// A model loaded by spcc_model_load. Immutable after loading, so threads may share it.
struct spcc_model {
  /// The dlopen handle; dlclose'd by spcc_model_free.
  void *handle = nullptr;
  /// The validated descriptor, owned by the .so.
  const spcc_abi_model *descriptor = nullptr;
  /// The path it was loaded from, for error messages.
  std::string path;
  /// The driver of a GPU model (code kinds SPCC_ABI_CODE_GPU*); null for host code.
  std::unique_ptr<spcc::runtime::GpuDriver> gpu;
  /// What spcc_model_device returns.
  std::string device;
  /// The model's per-node timing table (SPCC_MODEL_PROFILE_SYMBOL), or null when it has none.
  const spcc_abi_profile *profile = nullptr;
  /// The memory file holding the level of a multi-level model that was loaded (closed after
  /// dlclose), or -1 when the file itself was.
  int variantFd = -1;
};

/// An execution context: the activation arena of one run at a time.
struct spcc_context {
  spcc_context() = default;
  spcc_context(const spcc_context &) = delete;
  spcc_context &operator=(const spcc_context &) = delete;
  ~spcc_context();

  const spcc_model *model = nullptr;
  /// Threads passed to the model's run function (>= 1).
  int32_t numThreads = 1;
  /// `arenaBytes` bytes aligned to spcc::runtime::ArenaAlignment; freed with std::free.
  void *arena = nullptr;
  std::size_t arenaBytes = 0;
  /// A GPU model's device arena and stream (model->gpu's).
  spcc::runtime::DevicePointer deviceArena = 0;
  void *stream = nullptr;
  spcc::runtime::GpuLaunchGraph launchGraph;
  /// Set while spcc_run uses the arena, to reject overlapping runs on one context.
  std::atomic<bool> running{false};
  /// spcc_run_batch's samples side by side (SampleWorkers.h): up to numThreads - 1 threads
  /// and one more arena for each (freed with std::free), made by the first batch that needs
  /// them (min(numThreads, batch) samples at a time).
  std::unique_ptr<spcc::runtime::SampleWorkers> sampleWorkers;
  std::vector<void *> sampleArenas;
};

namespace spcc::runtime {

/// Alignment of activation arenas in bytes.
inline constexpr std::size_t ArenaAlignment = SPCC_ABI_ARENA_ALIGNMENT;

/// Limits a descriptor must respect to be believed (a damaged .so could claim anything).
inline constexpr uint32_t MaxTensors = SPCC_ABI_MAX_TENSORS;
inline constexpr int32_t MaxRank = SPCC_ABI_MAX_RANK;

/// Reads exactly `bytes` bytes of file `fd` at `offset`; false on a short read or an error.
bool readAt(int fd, void *buffer, size_t bytes, uint64_t offset);

/// Checks the model file open as `fd` against the trailer spcc appended to it (length, XXH3 of
/// the whole image, a sane ELF header) before the dynamic loader maps it. Returns SPCC_OK (and
/// the bytes before the trailer in `imageBytes`, if given), or SPCC_ERR_BAD_MODEL / SPCC_ERR_IO
/// with the last error naming `path` and the problem.
spcc_status verifyModelFile(int fd, const std::string &path, uint64_t *imageBytes = nullptr);

/// Which model of a file to load: the file itself, or one level of a multi-level model embedded
/// in it (ModelAbi.h, spcc_abi_variant).
struct ModelVariant {
  bool embedded = false;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  /// The level it was compiled for; empty for a file of one level.
  std::string target;
};

/// Reads the table of a multi-level model from the verified file `fd` (`imageBytes` before its
/// trailer) and picks the highest level this CPU runs, at most SPCC_MAX_ISA where that is set;
/// a file without the table is its own model. SPCC_ERR_BAD_MODEL for a damaged table.
spcc_status selectModelVariant(int fd, uint64_t imageBytes, const std::string &path,
                               ModelVariant *out);

/// Copies the embedded `variant` of the file `fd` into an anonymous memory file, checks it as a
/// model file, and returns that file (`variantFd`, the caller closes it after dlclose) and the
/// name to dlopen it by.
spcc_status openEmbeddedModel(int fd, const ModelVariant &variant, const std::string &path,
                              int *variantFd, std::string *openName);

/// The x86-64 level (1..4) named by `target` ("x86-64", "x86-64-v2" ... "x86-64-v4"), or 0.
int x86Level(const char *target);

/// Whether this CPU has every feature of x86-64 level `level`.
bool cpuRunsLevel(int level);

/// Checks that `descriptor` is self-consistent (counts, ranks, dtypes, dims, non-null
/// pointers). Returns SPCC_OK or SPCC_ERR_BAD_MODEL with the last error naming the problem.
spcc_status validateDescriptor(const spcc_abi_model &descriptor, const std::string &path);

/// Checks that this machine can run code compiled for `target` (e.g. "x86-64-v4"). Returns
/// SPCC_OK or SPCC_ERR_UNSUPPORTED naming the missing feature.
spcc_status checkTarget(const char *target, const std::string &path);

} // namespace spcc::runtime

#endif // SPCC_RUNTIME_LOADER_MODEL_H
