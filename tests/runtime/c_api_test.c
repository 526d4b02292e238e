/*===- c_api_test.c - Tests of the spcc C API against fixture models ------===
 *
 * Plain C99 against the public header only, so the same file also checks an installed copy.
 * Usage: spcc-c-api-test FIXTURE_DIR [TEST]   (no TEST: run every test)
 * FIXTURE_DIR holds the fixture libraries built by tests/runtime/CMakeLists.txt.
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L

#include "spcc/spcc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixtureDir;

/* Fails the test with the condition, the location and the runtime's last error. */
#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n  spcc_last_error: \"%s\"\n", __FILE__, __LINE__,  \
              #cond, spcc_last_error());                                                           \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

/* Checks that `call` returns `status` and leaves a non-empty last error. */
#define CHECK_FAILS(call, status)                                                                  \
  do {                                                                                             \
    spcc_status got_ = (call);                                                                     \
    if (got_ != (status)) {                                                                        \
      fprintf(stderr, "%s:%d: %s returned %d, expected %s (%d)\n  spcc_last_error: \"%s\"\n",      \
              __FILE__, __LINE__, #call, (int)got_, #status, (int)(status), spcc_last_error());    \
      exit(1);                                                                                     \
    }                                                                                              \
    CHECK(spcc_last_error() != NULL && spcc_last_error()[0] != '\0');                              \
  } while (0)

/* Checks that `call` returns SPCC_OK. */
#define CHECK_OK(call)                                                                             \
  do {                                                                                             \
    spcc_status got_ = (call);                                                                     \
    if (got_ != SPCC_OK) {                                                                         \
      fprintf(stderr, "%s:%d: %s returned %d\n  spcc_last_error: \"%s\"\n", __FILE__, __LINE__,    \
              #call, (int)got_, spcc_last_error());                                                \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

/* The fixture file `name` inside fixtureDir (a static buffer: use before the next call). */
static const char *fixture(const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", fixtureDir, name);
  return path;
}

static spcc_model *loadFixture(const char *name) {
  spcc_model *model = NULL;
  CHECK_OK(spcc_model_load(fixture(name), &model));
  CHECK(model != NULL);
  return model;
}

/* Checks that loading `name` fails with `status` and a message containing `needle`. */
static void checkLoadFails(const char *name, spcc_status status, const char *needle) {
  spcc_model *model = (spcc_model *)&model; /* must be reset to NULL */
  CHECK_FAILS(spcc_model_load(fixture(name), &model), status);
  CHECK(model == NULL);
  if (!strstr(spcc_last_error(), needle)) {
    fprintf(stderr, "loading %s: message \"%s\" lacks \"%s\"\n", name, spcc_last_error(), needle);
    exit(1);
  }
}

/* Runs the add model (weights base, base+1, ...) on x = seed + i and checks y exactly. */
static void runAndCheck(spcc_context *ctx, float seed, float base) {
  float x[6], y[6];
  const void *inputs[1];
  void *outputs[1];
  int i;
  for (i = 0; i < 6; ++i) {
    x[i] = seed + (float)i;
    y[i] = -1.0f;
  }
  inputs[0] = x;
  outputs[0] = y;
  CHECK_OK(spcc_run(ctx, inputs, outputs));
  for (i = 0; i < 6; ++i) CHECK(y[i] == x[i] + (base + (float)i));
}

static void testLoadQueryRun(void) {
  spcc_model *model = loadFixture("add_model.so");
  spcc_tensor_info info;
  spcc_context *ctx = NULL;
  CHECK(spcc_model_num_inputs(model) == 1);
  CHECK(strncmp(spcc_model_device(model), "cpu (", 5) == 0);
  CHECK(spcc_model_num_outputs(model) == 1);
  CHECK_OK(spcc_model_input(model, 0, &info));
  CHECK(strcmp(info.name, "x") == 0);
  CHECK(info.dtype == SPCC_FLOAT32);
  CHECK(info.rank == 2 && info.dims[0] == 2 && info.dims[1] == 3);
  CHECK_OK(spcc_model_output(model, 0, &info));
  CHECK(strcmp(info.name, "y") == 0);
  CHECK(info.dtype == SPCC_FLOAT32);
  CHECK(info.rank == 2 && info.dims[0] == 2 && info.dims[1] == 3);
  CHECK_FAILS(spcc_model_input(model, 1, &info), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_input(model, -1, &info), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_output(model, 1, &info), SPCC_ERR_INVALID_ARGUMENT);

  CHECK_OK(spcc_context_create(model, 0, &ctx)); /* all cores */
  runAndCheck(ctx, 1.0f, 0.5f);
  runAndCheck(ctx, -3.25f, 0.5f);
  spcc_context_free(ctx);
  CHECK_OK(spcc_context_create(model, 1, &ctx));
  runAndCheck(ctx, 10.0f, 0.5f);
  spcc_context_free(ctx);
  spcc_model_free(model);
}

static void testMissingFile(void) {
  checkLoadFails("no_such_model.so", SPCC_ERR_IO, "no_such_model.so");
  checkLoadFails(".", SPCC_ERR_IO, "not a regular file");
}

static void testTruncated(void) {
  checkLoadFails("truncated_model.so", SPCC_ERR_BAD_MODEL, "truncated_model.so");
}

static void testTextFile(void) {
  checkLoadFails("text_file.so", SPCC_ERR_BAD_MODEL, "text_file.so");
}

static void testNotAModel(void) {
  checkLoadFails("not_a_model.so", SPCC_ERR_BAD_MODEL, "not a model compiled by spcc");
}

static void testWrongAbi(void) {
  checkLoadFails("wrong_abi_model.so", SPCC_ERR_ABI_MISMATCH, "99");
}

static void testDamagedDescriptor(void) {
  checkLoadFails("bad_rank_model.so", SPCC_ERR_BAD_MODEL, "rank 17");
  checkLoadFails("null_name_model.so", SPCC_ERR_BAD_MODEL, "no name");
  checkLoadFails("no_descriptor_model.so", SPCC_ERR_BAD_MODEL, "no descriptor");
}

static void testUnsupportedTarget(void) {
  checkLoadFails("unknown_target_model.so", SPCC_ERR_UNSUPPORTED, "riscv64");
}

static void testUnknownCodeKind(void) {
  checkLoadFails("unknown_code_kind_model.so", SPCC_ERR_UNSUPPORTED, "code of kind 7");
}

static void testUnsealed(void) {
  checkLoadFails("unsealed_model.so", SPCC_ERR_BAD_MODEL, "its trailer is missing");
}

static void testFlipped(void) {
  checkLoadFails("flipped_model.so", SPCC_ERR_BAD_MODEL,
                 "do not match the checksum written when it was compiled");
}

static void testRunFails(void) {
  spcc_model *model = loadFixture("run_fails_model.so");
  spcc_context *ctx = NULL;
  float x[6] = {0}, y[6];
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  CHECK_OK(spcc_context_create(model, 1, &ctx));
  CHECK_FAILS(spcc_run(ctx, inputs, outputs), SPCC_ERR_INTERNAL);
  spcc_context_free(ctx);
  spcc_model_free(model);
}

/* A run that rejects its input data reports the model's message for it, per sample in a batch. */
static void testBadIndex(void) {
  spcc_model *model = loadFixture("bad_index_model.so");
  spcc_context *ctx = NULL;
  float x[6] = {0}, y[6];
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  CHECK_OK(spcc_context_create(model, 1, &ctx));
  CHECK_FAILS(spcc_run(ctx, inputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(spcc_last_error(), "spcc_run: ") == spcc_last_error());
  CHECK(strstr(spcc_last_error(), "node 'b' (Gather): an index in 'j' is outside [-9, 9)"));
  spcc_context_free(ctx);
  spcc_model_free(model);
}

static void testNoFailureTable(void) {
  checkLoadFails("no_failures_model.so", SPCC_ERR_BAD_MODEL, "run failure messages");
}

static void testNullArguments(void) {
  spcc_model *model = loadFixture("add_model.so");
  spcc_model *out = NULL;
  spcc_context *ctx = NULL;
  spcc_tensor_info info;
  float x[6] = {0}, y[6];
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  const void *nullInputs[1] = {NULL};
  void *nullOutputs[1] = {NULL};

  CHECK_FAILS(spcc_model_load(NULL, &out), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_load(fixture("add_model.so"), NULL), SPCC_ERR_INVALID_ARGUMENT);
  spcc_model_free(NULL);
  CHECK(spcc_model_num_inputs(NULL) == -1);
  CHECK(strcmp(spcc_model_device(NULL), "") == 0);
  CHECK(spcc_model_num_outputs(NULL) == -1);
  CHECK_FAILS(spcc_model_input(NULL, 0, &info), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_input(model, 0, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_output(NULL, 0, &info), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_output(model, 0, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_context_create(NULL, 1, &ctx), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(ctx == NULL);
  CHECK_FAILS(spcc_context_create(model, 1, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_context_create(model, -1, &ctx), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(ctx == NULL);
  spcc_context_free(NULL);

  CHECK_OK(spcc_context_create(model, 1, &ctx));
  CHECK_FAILS(spcc_run(NULL, inputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run(ctx, NULL, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run(ctx, inputs, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run(ctx, nullInputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(spcc_last_error(), "inputs[0]") != NULL);
  CHECK_FAILS(spcc_run(ctx, inputs, nullOutputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(spcc_last_error(), "outputs[0]") != NULL);
  runAndCheck(ctx, 2.0f, 0.5f); /* still usable after the failures */
  spcc_context_free(ctx);
  spcc_model_free(model);
}

static void testWrongCounts(void) {
  spcc_model *model = loadFixture("add_model.so");
  spcc_context *ctx = NULL;
  float x[6] = {0}, y[6];
  const void *inputs[2] = {x, x};
  void *outputs[2] = {y, y};
  CHECK_OK(spcc_context_create(model, 1, &ctx));
  CHECK_FAILS(spcc_run_checked(ctx, 2, inputs, 1, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(spcc_last_error(), "2 inputs given, the model has 1") != NULL);
  CHECK_FAILS(spcc_run_checked(ctx, 0, inputs, 1, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_checked(ctx, -1, inputs, 1, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_checked(ctx, 1, inputs, 2, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(spcc_last_error(), "2 outputs given, the model has 1") != NULL);
  CHECK_FAILS(spcc_run_checked(NULL, 1, inputs, 1, outputs), SPCC_ERR_INVALID_ARGUMENT);
  x[0] = 4.0f;
  CHECK_OK(spcc_run_checked(ctx, 1, inputs, 1, outputs));
  CHECK(y[0] == 4.5f);
  spcc_context_free(ctx);
  spcc_model_free(model);
}

static void *failOnOtherThread(void *unused) {
  spcc_model *model = NULL;
  (void)unused;
  if (spcc_model_load(NULL, &model) != SPCC_ERR_INVALID_ARGUMENT) return (void *)1;
  return strstr(spcc_last_error(), "path is NULL") ? NULL : (void *)1;
}

static void testLastErrorIsPerThread(void) {
  pthread_t thread;
  void *result = NULL;
  checkLoadFails("no_such_model.so", SPCC_ERR_IO, "no_such_model.so");
  CHECK(pthread_create(&thread, NULL, failOnOtherThread, NULL) == 0);
  CHECK(pthread_join(thread, &result) == 0);
  CHECK(result == NULL);
  /* The other thread's failure did not overwrite this thread's message. */
  CHECK(strstr(spcc_last_error(), "no_such_model.so") != NULL);
}

static void testTwoModels(void) {
  spcc_model *a = loadFixture("add_model.so");
  spcc_model *b = loadFixture("add_model_b.so");
  spcc_context *ctxA = NULL, *ctxB = NULL;
  CHECK_OK(spcc_context_create(a, 1, &ctxA));
  CHECK_OK(spcc_context_create(b, 1, &ctxB));
  runAndCheck(ctxA, 1.0f, 0.5f);
  runAndCheck(ctxB, 1.0f, 100.0f);
  spcc_context_free(ctxA);
  spcc_model_free(a);
  runAndCheck(ctxB, 7.0f, 100.0f); /* b survives a's unloading */
  spcc_context_free(ctxB);
  spcc_model_free(b);
}

typedef struct {
  spcc_context *ctx;
  pthread_barrier_t *start;
  float base;
  float seed;
  int failures;
} Worker;

/* Enough runs for the threads to overlap for tens of milliseconds. */
enum { RunsPerThread = 500000 };

static void *runMany(void *arg) {
  Worker *w = (Worker *)arg;
  float x[6], y[6];
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  int run, i;
  pthread_barrier_wait(w->start);
  for (run = 0; run < RunsPerThread; ++run) {
    for (i = 0; i < 6; ++i) x[i] = w->seed + (float)(run % 1000) + 0.25f * (float)i;
    if (spcc_run(w->ctx, inputs, outputs) != SPCC_OK) {
      ++w->failures;
      continue;
    }
    for (i = 0; i < 6; ++i)
      if (y[i] != x[i] + (w->base + (float)i)) ++w->failures;
  }
  return NULL;
}

static void testConcurrentContexts(void) {
  spcc_model *model = loadFixture("add_model.so");
  spcc_model *other = loadFixture("add_model_b.so");
  Worker workers[3];
  pthread_t threads[3];
  pthread_barrier_t start;
  int t;
  CHECK(pthread_barrier_init(&start, NULL, 3) == 0);
  workers[0].base = 0.5f;
  workers[0].seed = 1.0f;
  workers[1].base = 0.5f;
  workers[1].seed = -5000.0f;
  workers[2].base = 100.0f;
  workers[2].seed = 3.0f;
  for (t = 0; t < 3; ++t) {
    workers[t].failures = 0;
    workers[t].start = &start;
    workers[t].ctx = NULL;
    CHECK_OK(spcc_context_create(t < 2 ? model : other, 1, &workers[t].ctx));
  }
  for (t = 0; t < 3; ++t) CHECK(pthread_create(&threads[t], NULL, runMany, &workers[t]) == 0);
  for (t = 0; t < 3; ++t) CHECK(pthread_join(threads[t], NULL) == 0);
  for (t = 0; t < 3; ++t) {
    CHECK(workers[t].failures == 0);
    spcc_context_free(workers[t].ctx);
  }
  pthread_barrier_destroy(&start);
  spcc_model_free(model);
  spcc_model_free(other);
}

typedef struct {
  const char *name;
  void (*run)(void);
} Test;

/* A run-time batch: spcc_run_batch repeats the one-sample model per sample; spcc_run refuses a
 * batched model and spcc_run_batch a fixed one beyond batch 1. */
static void testRunBatch(void) {
  spcc_model *batched = loadFixture("batched_model.so");
  spcc_model *fixed = loadFixture("add_model.so");
  spcc_context *ctx = NULL, *fixedCtx = NULL;
  spcc_tensor_info info;
  float x[12], y[12];
  const void *inputs[1];
  void *outputs[1];
  int i;
  CHECK_OK(spcc_model_input(batched, 0, &info));
  CHECK(info.rank == 2 && info.dims[0] == -1 && info.dims[1] == 3);
  for (i = 0; i < 12; ++i) {
    x[i] = 0.25f * (float)i - 1.0f;
    y[i] = -100.0f;
  }
  inputs[0] = x;
  outputs[0] = y;
  CHECK_OK(spcc_context_create(batched, 1, &ctx));
  CHECK_OK(spcc_run_batch(ctx, 4, inputs, outputs));
  for (i = 0; i < 12; ++i) CHECK(y[i] == x[i] + (0.5f + (float)(i % 3)));
  y[3] = -100.0f;
  CHECK_OK(spcc_run_batch(ctx, 1, inputs, outputs));
  CHECK(y[3] == -100.0f); /* one sample writes one sample */
  CHECK_FAILS(spcc_run(ctx, inputs, outputs), SPCC_ERR_SHAPE);
  CHECK(strstr(spcc_last_error(), "spcc_run_batch") != NULL);
  CHECK_FAILS(spcc_run_checked(ctx, 1, inputs, 1, outputs), SPCC_ERR_SHAPE);
  CHECK_FAILS(spcc_run_batch(ctx, 0, inputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_batch(ctx, -2, inputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_batch(NULL, 2, inputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_batch(ctx, 2, NULL, outputs), SPCC_ERR_INVALID_ARGUMENT);

  spcc_context_free(ctx);
  ctx = NULL;

  /* Several threads: samples side by side, one run of consecutive samples per worker on its own
   * arena (3 threads, 7 samples: three runs of two, then the last on all threads; 4 threads,
   * 2 samples: two workers of two threads), the first failing sample reported. */
  {
    float xs[7 * 3], ys[7 * 3];
    int threads, batch;
    for (threads = 3; threads <= 4; ++threads) {
      /* One context: batch 2 makes one more worker and arena, batch 7 grows them. */
      CHECK_OK(spcc_context_create(batched, threads, &ctx));
      for (batch = 2; batch <= 7; batch += 5) {
        for (i = 0; i < batch * 3; ++i) {
          xs[i] = 0.5f * (float)i - 3.0f;
          ys[i] = -100.0f;
        }
        inputs[0] = xs;
        outputs[0] = ys;
        CHECK_OK(spcc_run_batch(ctx, batch, inputs, outputs));
        for (i = 0; i < batch * 3; ++i) CHECK(ys[i] == xs[i] + (0.5f + (float)(i % 3)));
        xs[3 * (batch - 1)] = -1000.0f;
        xs[3 * (batch / 2)] = -1000.0f;
        CHECK_FAILS(spcc_run_batch(ctx, batch, inputs, outputs), SPCC_ERR_INVALID_ARGUMENT);
        CHECK(strstr(spcc_last_error(), batch == 7 ? "sample 3: node 'c'" : "sample 1: node 'c'"));
      }
      spcc_context_free(ctx);
      ctx = NULL;
    }
    inputs[0] = x;
    outputs[0] = y;
  }

  CHECK_OK(spcc_context_create(fixed, 1, &fixedCtx));
  CHECK_OK(spcc_run_batch(fixedCtx, 1, inputs, outputs));
  CHECK(y[5] == x[5] + 5.5f);
  CHECK_FAILS(spcc_run_batch(fixedCtx, 2, inputs, outputs), SPCC_ERR_SHAPE);
  spcc_context_free(fixedCtx);
  spcc_model_free(fixed);
  spcc_model_free(batched);
}

/* An emulated GPU model: the runtime's emulated driver, device arena, copies and launch, and
 * the data array copied into the kernel's global at load (the ones added). */
static void testGpuEmulated(void) {
  spcc_model *model = loadFixture("gpu_emulated_model.so");
  spcc_context *ctx = NULL;
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {0};
  const void *inputs[1] = {x};
  void *outputs[1] = {y};
  int i;
  CHECK(strcmp(spcc_model_device(model), "emulated on the host (sm_80 program)") == 0);
  CHECK_OK(spcc_context_create(model, 1, &ctx));
  CHECK_OK(spcc_run(ctx, inputs, outputs));
  for (i = 0; i < 6; ++i) CHECK(y[i] == x[i] + 1.0f);
  spcc_context_free(ctx);
  spcc_model_free(model);
}

/* Runs after the first replay the launches recorded as a graph (SPCC_GPU_GRAPHS=0: launched
 * one by one); either way each run reads its own inputs, on spcc_run and spcc_run_device. */
static void testGpuGraph(void) {
  spcc_model *model = loadFixture("gpu_emulated_model.so");
  int graphs, run, i;
  for (graphs = 1; graphs >= 0; --graphs) {
    spcc_context *ctx = NULL;
    float x[6], y[6];
    const void *inputs[1] = {x};
    void *outputs[1] = {y};
    uint64_t deviceIn[1], deviceOut[1];
    deviceIn[0] = (uint64_t)(uintptr_t)x;
    deviceOut[0] = (uint64_t)(uintptr_t)y;
    CHECK(setenv("SPCC_GPU_GRAPHS", graphs ? "1" : "0", 1) == 0);
    CHECK_OK(spcc_context_create(model, 1, &ctx));
    for (run = 0; run < 4; ++run) {
      for (i = 0; i < 6; ++i) x[i] = (float)(run * 10 + i), y[i] = -1.0f;
      if (run % 2)
        CHECK_OK(spcc_run_device(ctx, 1, deviceIn, 1, deviceOut, NULL));
      else
        CHECK_OK(spcc_run(ctx, inputs, outputs));
      for (i = 0; i < 6; ++i) CHECK(y[i] == x[i] + 1.0f);
    }
    spcc_context_free(ctx);
  }
  CHECK(unsetenv("SPCC_GPU_GRAPHS") == 0);
  spcc_model_free(model);
}

/* spcc_run_device on an emulated GPU model (device pointers are host addresses there); a CPU
 * model, wrong counts and null pointers are refused. */
static void testGpuRunDevice(void) {
  spcc_model *model = loadFixture("gpu_emulated_model.so");
  spcc_model *cpu = loadFixture("add_model.so");
  spcc_context *ctx = NULL, *cpuCtx = NULL;
  float x[6] = {1, -2, 3.5f, 4, 5, 6}, y[6] = {0};
  uint64_t inputs[1], outputs[1], none[1] = {0};
  int i;
  inputs[0] = (uint64_t)(uintptr_t)x;
  outputs[0] = (uint64_t)(uintptr_t)y;
  CHECK_OK(spcc_context_create(model, 1, &ctx));
  CHECK_OK(spcc_run_device(ctx, 1, inputs, 1, outputs, NULL));
  for (i = 0; i < 6; ++i) CHECK(y[i] == x[i] + 1.0f);
  CHECK_FAILS(spcc_run_device(ctx, 2, inputs, 1, outputs, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_device(ctx, 1, none, 1, outputs, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK(strstr(spcc_last_error(), "inputs[0] ('x') is 0") != NULL);
  CHECK_FAILS(spcc_run_device(ctx, 1, NULL, 1, outputs, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_run_device(NULL, 1, inputs, 1, outputs, NULL), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_OK(spcc_context_create(cpu, 1, &cpuCtx));
  CHECK_FAILS(spcc_run_device(cpuCtx, 1, inputs, 1, outputs, NULL), SPCC_ERR_UNSUPPORTED);
  CHECK(strstr(spcc_last_error(), "spcc_run") != NULL);
  spcc_context_free(cpuCtx);
  spcc_context_free(ctx);
  spcc_model_free(cpu);
  spcc_model_free(model);
}

/* A model without a timing table (these fixtures, GPU models) cannot be profiled. */
static void testProfileUnsupported(void) {
  spcc_model *model = loadFixture("add_model.so");
  spcc_profile_entry entry;
  CHECK(spcc_model_profile_size(model) == -1);
  CHECK(spcc_model_profile_size(NULL) == -1);
  CHECK_FAILS(spcc_model_profile_enable(model, 1), SPCC_ERR_UNSUPPORTED);
  CHECK_FAILS(spcc_model_profile_enable(NULL, 1), SPCC_ERR_INVALID_ARGUMENT);
  CHECK_FAILS(spcc_model_profile_entry(model, 0, &entry), SPCC_ERR_UNSUPPORTED);
  CHECK_FAILS(spcc_model_profile_entry(model, 0, NULL), SPCC_ERR_INVALID_ARGUMENT);
  spcc_model_free(model);
}

/* A GPU program whose tables point outside themselves is refused before anything runs. */
static void testGpuDamaged(void) {
  checkLoadFails("gpu_bad_kernel_model.so", SPCC_ERR_BAD_MODEL, "GPU launch 0 is malformed");
  checkLoadFails("gpu_bad_offset_model.so", SPCC_ERR_BAD_MODEL, "argument 0 is malformed");
  checkLoadFails("gpu_no_program_model.so", SPCC_ERR_BAD_MODEL, "without its program");
  checkLoadFails("gpu_bad_data_model.so", SPCC_ERR_BAD_MODEL, "GPU data array 0 is malformed");
}

/* A GPU model on a machine without the NVIDIA driver: SPCC_ERR_DEVICE saying so. */
static void testGpuNoDriver(void) {
  checkLoadFails("gpu_device_model.so", SPCC_ERR_DEVICE, "no NVIDIA driver is installed");
}

static const Test tests[] = {
    {"load_query_run", testLoadQueryRun},
    {"missing_file", testMissingFile},
    {"truncated", testTruncated},
    {"text_file", testTextFile},
    {"not_a_model", testNotAModel},
    {"wrong_abi", testWrongAbi},
    {"damaged_descriptor", testDamagedDescriptor},
    {"unsupported_target", testUnsupportedTarget},
    {"unknown_code_kind", testUnknownCodeKind},
    {"unsealed", testUnsealed},
    {"flipped", testFlipped},
    {"run_fails", testRunFails},
    {"bad_index", testBadIndex},
    {"no_failure_table", testNoFailureTable},
    {"null_arguments", testNullArguments},
    {"wrong_counts", testWrongCounts},
    {"last_error_per_thread", testLastErrorIsPerThread},
    {"two_models", testTwoModels},
    {"concurrent_contexts", testConcurrentContexts},
    {"run_batch", testRunBatch},
    {"gpu_emulated", testGpuEmulated},
    {"gpu_run_device", testGpuRunDevice},
    {"gpu_graph", testGpuGraph},
    {"profile_unsupported", testProfileUnsupported},
    {"gpu_damaged", testGpuDamaged},
    {"gpu_no_driver", testGpuNoDriver},
};

int main(int argc, char **argv) {
  size_t i;
  int ran = 0;
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s FIXTURE_DIR [TEST]\n", argv[0]);
    return 2;
  }
  fixtureDir = argv[1];
  CHECK(spcc_last_error() != NULL && spcc_last_error()[0] == '\0');
  for (i = 0; i < sizeof tests / sizeof tests[0]; ++i) {
    if (argc == 3 && strcmp(argv[2], tests[i].name) != 0) continue;
    printf("[ RUN  ] %s\n", tests[i].name);
    fflush(stdout);
    tests[i].run();
    printf("[  OK  ] %s\n", tests[i].name);
    ++ran;
  }
  if (ran == 0) {
    fprintf(stderr, "no test named '%s'\n", argv[2]);
    return 2;
  }
  return 0;
}
