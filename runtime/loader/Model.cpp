//===- Model.cpp - spcc_model_load and the model queries ------------------===//

#include "Model.h"
#include "LastError.h"

#include <cerrno>
#include <dlfcn.h>
#include <fcntl.h>
#include <memory>
#include <new>
#include <sys/stat.h>
#include <unistd.h>

using namespace spcc::runtime;

namespace {

/// dlerror()'s text, or a fallback when it has none.
std::string dlerrorText() {
  const char *text = dlerror();
  return text ? text : "unknown dynamic loader error";
}

/// Why a file could not be opened, from `err` (an errno value); strerror is not thread-safe.
std::string ioReason(int err) {
  switch (err) {
  case ENOENT: return "no such file";
  case EACCES: return "permission denied";
  case ENOTDIR: return "a parent is not a directory";
  case ENAMETOOLONG: return "name too long";
  default: return "error " + std::to_string(err);
  }
}

/// Closes a dlopen handle unless released.
struct HandleCloser {
  void operator()(void *handle) const { dlclose(handle); }
};
using UniqueHandle = std::unique_ptr<void, HandleCloser>;

/// Closes a file descriptor.
struct FdCloser {
  void operator()(const int *fd) const { close(*fd); }
};

/// Whether this runtime can run the kind of code the model holds, and on this machine.
/// A GPU model gets its driver here (\p gpu).
spcc_status checkCodeKind(const spcc_abi_model &descriptor, const std::string &name,
                          std::unique_ptr<GpuDriver> *gpu) {
  switch (descriptor.code_kind) {
  case SPCC_ABI_CODE_HOST: return checkTarget(descriptor.target, name);
  case SPCC_ABI_CODE_GPU: return openCudaDriver(*descriptor.gpu, name, gpu);
  case SPCC_ABI_CODE_GPU_EMULATED: return openEmulatedDriver(*descriptor.gpu, gpu);
  default:
    return fail(SPCC_ERR_UNSUPPORTED,
                name + ": the model holds code of kind " + std::to_string(descriptor.code_kind) +
                    ", which this runtime cannot run (it runs host code and GPU code, kinds " +
                    std::to_string(SPCC_ABI_CODE_HOST) + " to " +
                    std::to_string(SPCC_ABI_CODE_GPU_EMULATED) + "); recompile it or update spcc");
  }
}

spcc_status loadModel(const char *path, spcc_model **out) {
  if (!out) return fail(SPCC_ERR_INVALID_ARGUMENT, "spcc_model_load: out is NULL");
  *out = nullptr;
  if (!path) return fail(SPCC_ERR_INVALID_ARGUMENT, "spcc_model_load: path is NULL");
  std::string name = path;

  struct stat info;
  if (stat(path, &info) != 0)
    return fail(SPCC_ERR_IO, name + ": cannot open the model file (" + ioReason(errno) + ")");
  if (!S_ISREG(info.st_mode))
    return fail(SPCC_ERR_IO, name + ": cannot open the model file (not a regular file)");
  // A regular file (checked above): opening it cannot block as a FIFO would.
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(SPCC_ERR_IO, name + ": cannot open the model file (" + ioReason(errno) + ")");
  std::unique_ptr<int, FdCloser> closeFd(&fd);
  uint64_t imageBytes = 0;
  if (spcc_status s = verifyModelFile(fd, name, &imageBytes)) return s;
  ModelVariant variant;
  if (spcc_status s = selectModelVariant(fd, imageBytes, name, &variant)) return s;

  // dlopen searches the library path for names without '/': load exactly the named file.
  // (Not through /proc/self/fd: the dynamic loader knows loaded objects by name, and a
  // descriptor's number is reused by the next model. An embedded level has no file of its own,
  // so it is the exception, with a name checked to be new.)
  std::string openName = name.find('/') == std::string::npos ? "./" + name : name;
  int variantFd = -1;
  if (variant.embedded)
    if (spcc_status s = openEmbeddedModel(fd, variant, name, &variantFd, &openName)) return s;
  std::unique_ptr<int, FdCloser> closeVariant(variantFd >= 0 ? &variantFd : nullptr);
  dlerror();
  UniqueHandle handle(dlopen(openName.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle)
    return fail(SPCC_ERR_BAD_MODEL, name + ": not a loadable model (" + dlerrorText() + ")");

  dlerror();
  void *symbol = dlsym(handle.get(), SPCC_MODEL_ENTRY_SYMBOL);
  if (!symbol)
    return fail(SPCC_ERR_BAD_MODEL, name + ": not a model compiled by spcc (it has no " +
                                        SPCC_MODEL_ENTRY_SYMBOL + ")");
  auto entry = reinterpret_cast<spcc_abi_entry_fn>(symbol);
  const spcc_abi_model *descriptor = entry();
  if (!descriptor)
    return fail(SPCC_ERR_BAD_MODEL, name + ": damaged model: it returned no descriptor");
  if (descriptor->abi_version != SPCC_ABI_VERSION)
    return fail(SPCC_ERR_ABI_MISMATCH,
                name + ": compiled for spcc ABI version " +
                    std::to_string(descriptor->abi_version) + ", but this runtime has version " +
                    std::to_string(SPCC_ABI_VERSION) + "; recompile the model");
  if (spcc_status s = validateDescriptor(*descriptor, name)) return s;
  if (!variant.target.empty() && (!descriptor->target || variant.target != descriptor->target))
    return fail(SPCC_ERR_BAD_MODEL, name + ": damaged model: its table says " + variant.target +
                                        ", its code says " +
                                        (descriptor->target ? descriptor->target : "nothing"));
  std::unique_ptr<GpuDriver> gpu;
  if (spcc_status s = checkCodeKind(*descriptor, name, &gpu)) return s;

  auto model = std::make_unique<spcc_model>();
  // Optional: models from before it, and GPU models, have no timing table.
  if (void *profile = dlsym(handle.get(), SPCC_MODEL_PROFILE_SYMBOL)) {
    const spcc_abi_profile *table = reinterpret_cast<spcc_abi_profile_fn>(profile)();
    if (!table || table->num_steps > SPCC_ABI_MAX_PROFILE_STEPS ||
        (table->num_steps > 0 && (!table->names || !table->ops || !table->nanoseconds)) ||
        !table->runs || !table->enabled)
      return fail(SPCC_ERR_BAD_MODEL, name + ": damaged model: its timing table is malformed");
    model->profile = table;
  }
  model->device = gpu ? gpu->description() : "cpu (" + std::string(descriptor->target) + ")";
  model->gpu = std::move(gpu);
  model->descriptor = descriptor;
  model->path = std::move(name);
  model->handle = handle.release();
  model->variantFd = variantFd;
  closeVariant.release();
  *out = model.release();
  return SPCC_OK;
}

/// Describes entry `index` of the `kind` table for spcc_model_input / spcc_model_output.
spcc_status describe(const spcc_model *model, int index, spcc_tensor_info *out, bool isInput) {
  const char *function = isInput ? "spcc_model_input" : "spcc_model_output";
  if (!model) return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(function) + ": model is NULL");
  if (!out) return fail(SPCC_ERR_INVALID_ARGUMENT, std::string(function) + ": out is NULL");
  const spcc_abi_model &d = *model->descriptor;
  uint32_t count = isInput ? d.num_inputs : d.num_outputs;
  if (index < 0 || static_cast<uint32_t>(index) >= count)
    return fail(SPCC_ERR_INVALID_ARGUMENT,
                std::string(function) + ": index " + std::to_string(index) +
                    " is out of range (the model has " + std::to_string(count) + " " +
                    (isInput ? "inputs" : "outputs") + ")");
  const spcc_abi_tensor &t = (isInput ? d.inputs : d.outputs)[index];
  out->name = t.name;
  out->dtype = static_cast<spcc_dtype>(t.dtype);
  out->rank = t.rank;
  out->dims = t.dims;
  return SPCC_OK;
}

} // namespace

extern "C" spcc_status spcc_model_load(const char *path, spcc_model **out) {
  try {
    return loadModel(path, out);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_model_load: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL, "spcc_model_load: unexpected internal error");
  }
}

extern "C" void spcc_model_free(spcc_model *model) {
  if (!model) return;
  model->gpu.reset(); // the driver reads the program in the .so
  dlclose(model->handle);
  if (model->variantFd >= 0) close(model->variantFd);
  delete model;
}

extern "C" const char *spcc_model_device(const spcc_model *model) {
  return model ? model->device.c_str() : "";
}

extern "C" int spcc_model_num_inputs(const spcc_model *model) {
  return model ? static_cast<int>(model->descriptor->num_inputs) : -1;
}

extern "C" int spcc_model_num_outputs(const spcc_model *model) {
  return model ? static_cast<int>(model->descriptor->num_outputs) : -1;
}

extern "C" spcc_status spcc_model_input(const spcc_model *model, int index, spcc_tensor_info *out) {
  try {
    return describe(model, index, out, /*isInput=*/true);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_model_input: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL, "spcc_model_input: unexpected internal error");
  }
}

extern "C" spcc_status spcc_model_output(const spcc_model *model, int index,
                                         spcc_tensor_info *out) {
  try {
    return describe(model, index, out, /*isInput=*/false);
  } catch (const std::bad_alloc &) {
    return failStatic(SPCC_ERR_OUT_OF_MEMORY, "spcc_model_output: out of memory");
  } catch (...) {
    return failStatic(SPCC_ERR_INTERNAL, "spcc_model_output: unexpected internal error");
  }
}
