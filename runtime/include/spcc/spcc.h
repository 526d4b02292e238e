/*===- spcc.h - The spcc runtime C API ------------------------------------===
 *
 * Load a model compiled by `spcc model.onnx -o model.so`, query its inputs and outputs, and run
 * it. C99; every call returns a status (or a value that cannot fail) and never aborts; the
 * message of the last failing call on the calling thread is spcc_last_error().
 *
 * Threading: a model is immutable once loaded and may be shared by threads; a context owns the
 * activation memory of one run at a time. Runs on distinct contexts may proceed concurrently.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SPCC_SPCC_H
#define SPCC_SPCC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the binary interface between a compiled model and this runtime. */
#define SPCC_ABI_VERSION 5

typedef enum {
  SPCC_OK = 0,
  SPCC_ERR_INVALID_ARGUMENT, /**< a null pointer, an index out of range, a bad thread count;
                                  from a run: input data the model rejects (a Gather index
                                  outside its axis), named in spcc_last_error */
  SPCC_ERR_IO,               /**< the model file cannot be opened */
  SPCC_ERR_BAD_MODEL,        /**< not a model compiled by spcc, or a damaged one */
  SPCC_ERR_ABI_MISMATCH,     /**< compiled for another SPCC_ABI_VERSION */
  SPCC_ERR_SHAPE,            /**< tensors of the wrong shape */
  SPCC_ERR_UNSUPPORTED,      /**< the model needs something this machine lacks (e.g. AVX-512) */
  SPCC_ERR_OUT_OF_MEMORY,
  SPCC_ERR_DEVICE, /**< a GPU error */
  SPCC_ERR_INTERNAL
} spcc_status;

typedef enum {
  SPCC_FLOAT32 = 1,
  SPCC_INT64,
  SPCC_INT32,
  SPCC_BOOL,
  SPCC_FLOAT16,
  SPCC_INT8,
  SPCC_UINT8
} spcc_dtype;

typedef struct spcc_model spcc_model;
typedef struct spcc_context spcc_context;

/** A tensor's description. `name` and `dims` are owned by the model and live as long as it;
 *  `dims` has `rank` entries, -1 for a dimension only known at run time. */
typedef struct {
  const char *name;
  spcc_dtype dtype;
  int rank;
  const int64_t *dims;
} spcc_tensor_info;

/** Loads the compiled model at `path` into `*out` (freed with spcc_model_free). */
spcc_status spcc_model_load(const char *path, spcc_model **out);
/** Unloads a model; its contexts must be freed first. NULL is ignored. */
void spcc_model_free(spcc_model *model);

/** Where the model runs: "cpu (x86-64-v3)", "NVIDIA H200 (sm_90), CUDA driver 13.0", "emulated
 *  on the host (sm_90 program)"; owned by the model. "" for a NULL model. */
const char *spcc_model_device(const spcc_model *model);

/** Number of inputs / outputs; -1 for a NULL model. */
int spcc_model_num_inputs(const spcc_model *model);
int spcc_model_num_outputs(const spcc_model *model);
/** Describes input / output `index` (0-based, model order). */
spcc_status spcc_model_input(const spcc_model *model, int index, spcc_tensor_info *out);
spcc_status spcc_model_output(const spcc_model *model, int index, spcc_tensor_info *out);

/** Creates an execution context using `num_threads` threads (0 = all cores). */
spcc_status spcc_context_create(const spcc_model *model, int num_threads, spcc_context **out);
/** Frees a context. NULL is ignored. */
void spcc_context_free(spcc_context *ctx);

/** Runs the model once. `inputs` and `outputs` hold one pointer per model input / output, in
 *  model order, each to caller-owned dense row-major data of the described type and size. */
spcc_status spcc_run(spcc_context *ctx, const void *const *inputs, void *const *outputs);
/** Like spcc_run, but first checks the array lengths: `num_inputs` / `num_outputs` must equal
 *  the model's counts, else SPCC_ERR_INVALID_ARGUMENT naming both (a C array's length cannot be
 *  checked otherwise). */
spcc_status spcc_run_checked(spcc_context *ctx, int num_inputs, const void *const *inputs,
                             int num_outputs, void *const *outputs);

/** Runs `batch` samples through a model compiled with a run-time batch (`spcc --shape
 *  NAME=Nx...`; its batched inputs and outputs report dims[0] == -1): each batched input and
 *  output holds `batch` samples one after another, other inputs are shared by every sample. Each
 *  sample runs the single-sample model; on a context of two or more threads, samples run side by
 *  side, one thread's share of consecutive samples each, on arenas the context allocates at its
 *  first such batch (up to min(num_threads, batch) - 1 more) and keeps; the rest one after
 *  another. A failure names the first failing sample. A model of fixed shapes accepts batch 1
 *  only; spcc_run and spcc_run_checked refuse a batched model (SPCC_ERR_SHAPE), whose sample
 *  count they cannot know. */
spcc_status spcc_run_batch(spcc_context *ctx, int64_t batch, const void *const *inputs,
                           void *const *outputs);

/** Runs a GPU model on device buffers: `inputs` / `outputs` hold one device pointer
 *  (CUdeviceptr) per model input / output, in model order; `num_inputs` / `num_outputs` must
 *  equal the model's counts. The copies in, the kernels and the copies out are enqueued on
 *  `stream` (a CUstream; NULL is CUDA's default stream, as in the driver API, which is PyTorch's
 *  default stream too) and the call returns without waiting: the
 *  outputs are ready once that stream has finished, and the context must not run again before
 *  then. With an emulated GPU model (`--emulate-gpu`) the device pointers are host addresses and
 *  the run is complete when the call returns. A model of fixed shapes only; a CPU model is
 *  SPCC_ERR_UNSUPPORTED (it takes host buffers: spcc_run). */
spcc_status spcc_run_device(spcc_context *ctx, int num_inputs, const uint64_t *inputs,
                            int num_outputs, const uint64_t *outputs, void *stream);

/** One node's time, summed over the runs since profiling was turned on. */
typedef struct {
  const char *name; /* the node's name (owned by the model) */
  const char *op;   /* its op type and kernel, e.g. "FusedConv (sparse)" */
  double seconds;   /* summed over `runs` runs */
  int64_t runs;     /* runs completed while profiling */
} spcc_profile_entry;

/** Turns per-node timing of a CPU model on (clearing the sums) or off. While on, every kernel
 *  call of every run is timed (two clock reads each) and added to its node's sum; runs of
 *  several contexts at once mix into the same sums. SPCC_ERR_UNSUPPORTED for a model without
 *  a timing table (GPU models). */
spcc_status spcc_model_profile_enable(spcc_model *model, int enable);
/** The number of timed nodes (kernel calls in run order), or -1 when the model cannot be
 *  profiled. */
int spcc_model_profile_size(const spcc_model *model);
/** Node `index`'s name, op and summed time. */
spcc_status spcc_model_profile_entry(const spcc_model *model, int index, spcc_profile_entry *out);

/** The message of the last failing call on this thread ("" if none). */
const char *spcc_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* SPCC_SPCC_H */
