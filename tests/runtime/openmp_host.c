/*===- openmp_host.c - A program with OpenMP of its own that runs a model ---===
 *
 * openmp_host MODEL.so: built with `gcc -fopenmp` (GCC's libgomp), it runs parallel loops of
 * its own, loads a model (whose kernels use LLVM's libomp), runs it five times on two threads
 * on zero inputs, runs its loops again, frees everything and exits 0: two OpenMP runtimes in
 * one process must coexist, at run time and at exit.
 *
 *===----------------------------------------------------------------------===*/
#include <spcc/spcc.h>

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static size_t byteSize(const spcc_tensor_info *t) {
  size_t n = t->dtype == SPCC_INT64 ? 8 : t->dtype == SPCC_BOOL ? 1 : 4;
  for (int d = 0; d < t->rank; ++d) n *= (size_t)t->dims[d];
  return n;
}

static double hostWork(void) {
  double sum = 0;
#pragma omp parallel for reduction(+ : sum)
  for (int i = 0; i < 100000; ++i) sum += i;
  return sum;
}

static int failed(const char *what) {
  fprintf(stderr, "openmp_host: %s: %s\n", what, spcc_last_error());
  return 1;
}

int main(int argc, char **argv) {
  spcc_model *model;
  spcc_context *context;
  const void *inputs[16];
  void *outputs[16];
  int i, numInputs, numOutputs;
  if (argc != 2) return 2;
  if (hostWork() != 4999950000.0) return 1;
  if (spcc_model_load(argv[1], &model) != SPCC_OK) return failed("load");
  numInputs = spcc_model_num_inputs(model);
  numOutputs = spcc_model_num_outputs(model);
  if (numInputs > 16 || numOutputs > 16) return 1;
  for (i = 0; i < numInputs; ++i) {
    spcc_tensor_info t;
    spcc_model_input(model, i, &t);
    inputs[i] = calloc(1, byteSize(&t));
  }
  for (i = 0; i < numOutputs; ++i) {
    spcc_tensor_info t;
    spcc_model_output(model, i, &t);
    outputs[i] = calloc(1, byteSize(&t));
  }
  if (spcc_context_create(model, 2, &context) != SPCC_OK) return failed("context");
  for (i = 0; i < 5; ++i)
    if (spcc_run(context, inputs, outputs) != SPCC_OK) return failed("run");
  if (hostWork() != 4999950000.0) return 1;
  spcc_context_free(context);
  spcc_model_free(model);
  for (i = 0; i < numInputs; ++i) free((void *)inputs[i]);
  for (i = 0; i < numOutputs; ++i) free(outputs[i]);
  printf("ok: %d threads on the host's OpenMP\n", omp_get_max_threads());
  return 0;
}
