/*===- ModelAbi.h - What a compiled model .so exports to the runtime ------===
 *
 * Shared by the code generator (which emits these structures as constant data) and the loader
 * (which reads them). A model exports one function, SPCC_MODEL_ENTRY_SYMBOL, returning its
 * descriptor. Everything the descriptor points to lives in the model's read-only data.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SPCC_RUNTIME_MODELABI_H
#define SPCC_RUNTIME_MODELABI_H

#include <stdint.h>

#define SPCC_MODEL_ENTRY_SYMBOL "spcc_model_descriptor_v1"

/** The most inputs, and the most outputs, a model may have, and the highest rank of each: the
 *  compiler refuses larger interfaces, the loader refuses descriptors that claim them. */
#define SPCC_ABI_MAX_TENSORS 4096
#define SPCC_ABI_MAX_RANK 16

/** Alignment in bytes of the activation arena and of every buffer the compiler places in it. */
#define SPCC_ABI_ARENA_ALIGNMENT 64

/** What kind of code a model holds, and so how the loader runs it (spcc_abi_model::code_kind). */
typedef enum {
  /** Machine code for this process's CPU: `run` is called directly. */
  SPCC_ABI_CODE_HOST = 0
} spcc_abi_code_kind;

/** One input or output: name (NUL-terminated), spcc_dtype value, rank, dims. */
typedef struct {
  const char *name;
  int32_t dtype;
  int32_t rank;
  const int64_t *dims;
} spcc_abi_tensor;

/** Runs the model: one pointer per input / output in model order, and an activation arena of
 *  `arena_bytes` bytes aligned to SPCC_ABI_ARENA_ALIGNMENT. Returns 0 on success, or a failure
 *  number k in [1, num_run_failures] when the input data is invalid (an index out of range):
 *  run_failures[k - 1] says which node and why. */
typedef int32_t (*spcc_abi_run_fn)(const void *const *inputs, void *const *outputs, void *arena,
                                   int32_t num_threads);

typedef struct {
  uint32_t abi_version; /* SPCC_ABI_VERSION the model was compiled for */
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t code_kind; /* spcc_abi_code_kind */
  const spcc_abi_tensor *inputs;
  const spcc_abi_tensor *outputs;
  uint64_t arena_bytes;
  spcc_abi_run_fn run;
  const char *target; /* ISA the kernels were compiled for, e.g. "x86-64-v4" */
  uint32_t num_run_failures;
  const char *const *run_failures; /* num_run_failures messages; NULL when there are none */
} spcc_abi_model;

/** Most failure messages a descriptor may carry (one per node that checks its input data). */
#define SPCC_ABI_MAX_RUN_FAILURES (1u << 20)

typedef const spcc_abi_model *(*spcc_abi_entry_fn)(void);

/** The magic that starts a model file's trailer. */
#define SPCC_ABI_TRAILER_MAGIC "SPCCMDL\002"

/** Appended to every model file after its ELF image. The loader checks the whole file against it
 *  before the dynamic loader sees it, so a truncated or damaged file is refused instead of
 *  crashing the process. Hashes are XXH3-64 with seed 0 (xxHash 0.8). */
typedef struct {
  char magic[8];         /* SPCC_ABI_TRAILER_MAGIC, without its terminating NUL */
  uint64_t image_bytes;  /* bytes of the file before the trailer */
  uint64_t image_hash;   /* XXH3-64 of those bytes */
  uint64_t trailer_hash; /* XXH3-64 of the 24 bytes above */
} spcc_abi_trailer;

#endif /* SPCC_RUNTIME_MODELABI_H */
