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
  SPCC_ABI_CODE_HOST = 0,
  /** NVIDIA GPU kernels (`gpu`): PTX and maybe a cubin, launched through the CUDA driver. */
  SPCC_ABI_CODE_GPU = 1,
  /** The same GPU program with its kernels compiled for the host (`gpu->emulated_kernels`),
   *  launched through the runtime's emulated driver: same launches, copies and offsets. */
  SPCC_ABI_CODE_GPU_EMULATED = 2
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

/** One argument of a GPU kernel launch, as the kernel's parameter list takes it. */
typedef enum {
  SPCC_ABI_GPU_ARG_DEVICE_POINTER = 0, /* the context's device arena + value (bytes) */
  SPCC_ABI_GPU_ARG_INT32 = 1,          /* value, as a 32-bit integer */
  SPCC_ABI_GPU_ARG_NULL = 2            /* a null device pointer (an unused operand) */
} spcc_abi_gpu_arg_kind;

typedef struct {
  uint32_t kind; /* spcc_abi_gpu_arg_kind */
  uint32_t reserved;
  uint64_t value;
} spcc_abi_gpu_arg;

/** One kernel launch: grid (grid_x, grid_y), blocks of block_x threads. */
typedef struct {
  uint32_t kernel; /* index into kernel_names */
  uint32_t num_args;
  uint32_t grid_x, grid_y, block_x;
  uint32_t reserved;
  const spcc_abi_gpu_arg *args;
} spcc_abi_gpu_launch;

/** An emulated kernel: runs every block and thread of the grid in turn on the calling thread.
 *  `params` is laid out as cuLaunchKernel's kernelParams: one pointer per parameter, to its
 *  value. */
typedef void (*spcc_abi_emulated_kernel)(void *const *params, int32_t grid_x, int32_t grid_y,
                                         int32_t block_x);

/** A module-scope array of the GPU program's kernels (weights, CSR arrays, embedding tables)
 *  that the model file carries as raw bytes rather than as initialized data in the PTX and
 *  cubin: the loader copies `bytes` into the module's global `name` once, when the model is
 *  loaded. In an emulated model `host_global` is that global in the model's host code. */
typedef struct {
  const char *name;
  const void *bytes;
  uint64_t size;
  void *host_global; /* emulated models only; NULL otherwise */
} spcc_abi_gpu_data;

/** A GPU model's program. The device arena holds every input (at input_offsets), output (at
 *  output_offsets) and intermediate; a run copies the inputs in, runs the launches in order on
 *  the context's stream and copies the outputs out. */
typedef struct {
  const char *arch;  /* "sm_90" */
  const char *ptx;   /* NUL-terminated PTX module */
  const void *cubin; /* ptxas's cubin for `arch`, or NULL */
  uint64_t cubin_bytes;
  uint32_t num_kernels;
  uint32_t num_launches;
  const char *const *kernel_names;                  /* num_kernels entry names */
  const spcc_abi_emulated_kernel *emulated_kernels; /* num_kernels; NULL unless emulated */
  const spcc_abi_gpu_launch *launches;
  uint64_t device_arena_bytes;
  const uint64_t *input_offsets;  /* num_inputs byte offsets in the device arena */
  const uint64_t *output_offsets; /* num_outputs */
  uint32_t num_data;
  uint32_t reserved;
  const spcc_abi_gpu_data *data; /* num_data arrays filled at load */
} spcc_abi_gpu_program;

/** Most kernels, launches and data arrays a GPU program may have. */
#define SPCC_ABI_MAX_GPU_KERNELS (1u << 20)
#define SPCC_ABI_MAX_GPU_ARGS 64

typedef struct {
  uint32_t abi_version; /* SPCC_ABI_VERSION the model was compiled for */
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t code_kind; /* spcc_abi_code_kind */
  const spcc_abi_tensor *inputs;
  const spcc_abi_tensor *outputs;
  uint64_t arena_bytes;
  spcc_abi_run_fn run;
  const char *target; /* ISA the kernels were compiled for, e.g. "x86-64-v4" or "sm_90" */
  uint32_t num_run_failures;
  const char *const *run_failures; /* num_run_failures messages; NULL when there are none */
  const spcc_abi_gpu_program *gpu; /* GPU code kinds only; NULL for host code (run is NULL
                                      for GPU code) */
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

/** A host model also exports SPCC_MODEL_PROFILE_SYMBOL, returning its per-node timing table:
 *  while `*enabled` is nonzero, the run function adds the nanoseconds each node's kernel call
 *  takes to `nanoseconds[i]` (node i of `names` / `ops`, in run order) and counts completed
 *  runs in `*runs`. Optional: a model without it cannot be profiled. */
#define SPCC_MODEL_PROFILE_SYMBOL "spcc_model_profile_v1"
#define SPCC_ABI_MAX_PROFILE_STEPS (1u << 20)

typedef struct {
  uint32_t num_steps;
  uint32_t reserved;
  const char *const *names; /* the nodes' names */
  const char *const *ops;   /* their op types */
  uint64_t *nanoseconds;    /* num_steps counters */
  uint64_t *runs;
  int32_t *enabled;
} spcc_abi_profile;

typedef const spcc_abi_profile *(*spcc_abi_profile_fn)(void);

/** A model compiled for several x86-64 levels (`--target x86-64-v3,x86-64-v4`) is the lowest
 *  level's model (a complete one: any loader runs it) whose image goes on, after that model's
 *  ELF bytes, with each higher level's complete model file (image and trailer), then a table of
 *  all of them, then the variant footer; the file's own trailer covers it all. The loader runs
 *  the highest level the CPU has. */
#define SPCC_ABI_VARIANTS_MAGIC "SPCCISA\001"
#define SPCC_ABI_MAX_VARIANTS 8

/** One entry of the table: where a level's model lies in the file. The lowest level's entry is
 *  the file itself (offset 0, `bytes` its ELF bytes); the others are embedded model files. */
typedef struct {
  char target[24]; /* the level, NUL-terminated: "x86-64-v3", "x86-64-v4" */
  uint64_t offset;
  uint64_t bytes;
} spcc_abi_variant;

/** Ends the image of a multi-level model, right before the trailer; the table of `count`
 *  entries lies right before it. */
typedef struct {
  uint64_t count;
  char magic[8]; /* SPCC_ABI_VARIANTS_MAGIC, without its terminating NUL */
} spcc_abi_variants_footer;

#endif /* SPCC_RUNTIME_MODELABI_H */
