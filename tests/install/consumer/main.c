/* spcc-consumer [MODEL.so] [DIR]: loads a compiled model through the installed spcc.h C API
 * (default: the model compiled by spcc_add_model), runs it once on fixed inputs, checks the
 * outputs' count, shapes and values (finite), and prints one line per output. With DIR, writes
 * DIR/inputs/NAME.npy for each input and DIR/outputs/NAME.npy for each output, so the run can be
 * compared with `spcc-run MODEL.onnx -i NAME=DIR/inputs/NAME.npy ...`. Exit 0 on success. */
#include <spcc/spcc.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TENSORS 16

static int fail(const char *what, spcc_status status) {
  fprintf(stderr, "spcc-consumer: %s failed (status %d): %s\n", what, (int)status,
          spcc_last_error());
  return 1;
}

static size_t elementSize(spcc_dtype dtype) {
  switch (dtype) {
  case SPCC_FLOAT32:
  case SPCC_INT32: return 4;
  case SPCC_INT64: return 8;
  case SPCC_FLOAT16: return 2;
  default: return 1;
  }
}

static const char *npyDescr(spcc_dtype dtype) {
  switch (dtype) {
  case SPCC_FLOAT32: return "<f4";
  case SPCC_INT64: return "<i8";
  case SPCC_INT32: return "<i4";
  case SPCC_FLOAT16: return "<f2";
  case SPCC_INT8: return "|i1";
  case SPCC_UINT8: return "|u1";
  default: return "|b1";
  }
}

static int64_t numElements(const spcc_tensor_info *info) {
  int64_t n = 1;
  for (int d = 0; d < info->rank; ++d) n *= info->dims[d];
  return n;
}

/* Writes a version 1.0 .npy file: magic, header length, a dict padded to 64 bytes, the data. */
static int writeNpy(const char *dir, const char *sub, const spcc_tensor_info *info,
                    const void *data) {
  char path[4096], header[512], shape[256] = "";
  size_t used = 0;
  for (int d = 0; d < info->rank; ++d)
    used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,", (long long)info->dims[d]);
  if (info->rank > 1) shape[used - 1] = '\0'; /* (4,) keeps its comma, (1, 10) does not */
  int len =
      snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
               npyDescr(info->dtype), shape);
  int total = 10 + len + 1;
  int pad = (64 - total % 64) % 64;
  memset(header + len, ' ', (size_t)pad);
  header[len + pad] = '\n';
  unsigned short headerLen = (unsigned short)(len + pad + 1);

  snprintf(path, sizeof path, "%s/%s/%s.npy", dir, sub, info->name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "spcc-consumer: cannot write %s\n", path);
    return 1;
  }
  unsigned char prefix[10] = {0x93,
                              'N',
                              'U',
                              'M',
                              'P',
                              'Y',
                              1,
                              0,
                              (unsigned char)(headerLen & 0xff),
                              (unsigned char)(headerLen >> 8)};
  size_t bytes = (size_t)numElements(info) * elementSize(info->dtype);
  int ok = fwrite(prefix, 1, 10, f) == 10 && fwrite(header, 1, headerLen, f) == headerLen &&
           fwrite(data, 1, bytes, f) == bytes;
  return (fclose(f) == 0 && ok) ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *modelPath = argc > 1 ? argv[1] : SPCC_DEMO_MODEL;
  const char *dumpDir = argc > 2 ? argv[2] : NULL;
  spcc_model *model = NULL;
  spcc_context *ctx = NULL;
  spcc_status status;
  void *inputs[MAX_TENSORS] = {0}, *outputs[MAX_TENSORS] = {0};
  spcc_tensor_info inInfo[MAX_TENSORS], outInfo[MAX_TENSORS];
  int rc = 1;

  if ((status = spcc_model_load(modelPath, &model)) != SPCC_OK)
    return fail("spcc_model_load", status);
  int numInputs = spcc_model_num_inputs(model), numOutputs = spcc_model_num_outputs(model);
  printf("model %s: %d input(s), %d output(s)\n", modelPath, numInputs, numOutputs);
  if (numInputs < 1 || numInputs > MAX_TENSORS || numOutputs < 1 || numOutputs > MAX_TENSORS) {
    fprintf(stderr, "spcc-consumer: unexpected input/output counts\n");
    goto done;
  }
  if (dumpDir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/inputs", dumpDir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/outputs", dumpDir);
    mkdir(path, 0755);
  }

  /* Fixed inputs: float32 i-th element sin(0.1 * i + k); integer and bool inputs 0 or 1. */
  for (int k = 0; k < numInputs; ++k) {
    if ((status = spcc_model_input(model, k, &inInfo[k])) != SPCC_OK) {
      rc = fail("spcc_model_input", status);
      goto done;
    }
    int64_t n = numElements(&inInfo[k]);
    inputs[k] = calloc((size_t)n, elementSize(inInfo[k].dtype));
    if (!inputs[k]) goto done;
    for (int64_t i = 0; i < n; ++i) {
      switch (inInfo[k].dtype) {
      case SPCC_FLOAT32: ((float *)inputs[k])[i] = (float)sin(0.1 * (double)i + k); break;
      case SPCC_INT64: ((int64_t *)inputs[k])[i] = i % 2; break;
      case SPCC_INT32: ((int32_t *)inputs[k])[i] = (int32_t)(i % 2); break;
      default: break;
      }
    }
    if (dumpDir && writeNpy(dumpDir, "inputs", &inInfo[k], inputs[k])) goto done;
  }
  for (int k = 0; k < numOutputs; ++k) {
    if ((status = spcc_model_output(model, k, &outInfo[k])) != SPCC_OK) {
      rc = fail("spcc_model_output", status);
      goto done;
    }
    outputs[k] = calloc((size_t)numElements(&outInfo[k]), elementSize(outInfo[k].dtype));
    if (!outputs[k]) goto done;
  }

  if ((status = spcc_context_create(model, 1, &ctx)) != SPCC_OK) {
    rc = fail("spcc_context_create", status);
    goto done;
  }
  if ((status = spcc_run_checked(ctx, numInputs, (const void *const *)inputs, numOutputs,
                                 outputs)) != SPCC_OK) {
    rc = fail("spcc_run", status);
    goto done;
  }

  for (int k = 0; k < numOutputs; ++k) {
    const spcc_tensor_info *info = &outInfo[k];
    int64_t n = numElements(info);
    printf("%s: dtype %d dims [", info->name, (int)info->dtype);
    for (int d = 0; d < info->rank; ++d) printf("%s%lld", d ? "," : "", (long long)info->dims[d]);
    printf("]");
    if (info->dtype == SPCC_FLOAT32) {
      const float *values = outputs[k];
      for (int64_t i = 0; i < n; ++i) {
        if (!isfinite(values[i])) {
          fprintf(stderr, "\nspcc-consumer: %s[%lld] is not finite\n", info->name, (long long)i);
          goto done;
        }
        if (i < 16) printf(" %.6g", values[i]);
      }
    }
    printf("\n");
    if (dumpDir && writeNpy(dumpDir, "outputs", info, outputs[k])) goto done;
  }
  rc = 0;

done:
  spcc_context_free(ctx);
  for (int k = 0; k < MAX_TENSORS; ++k) {
    free(inputs[k]);
    free(outputs[k]);
  }
  spcc_model_free(model);
  return rc;
}
