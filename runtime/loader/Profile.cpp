//===- Profile.cpp - Per-node timing of a loaded model --------------------===//
//
// A host model's run function times each kernel call while its profile switch is on
// (ModelAbi.h, spcc_abi_profile); these calls turn it on and read the sums.
//
//===----------------------------------------------------------------------===//

#include "LastError.h"
#include "Model.h"

#include <algorithm>

using namespace spcc::runtime;

extern "C" spcc_status spcc_model_profile_enable(spcc_model *model, int enable) {
  if (!model)
    return failStatic(SPCC_ERR_INVALID_ARGUMENT, "spcc_model_profile_enable: model is NULL");
  const spcc_abi_profile *profile = model->profile;
  if (!profile)
    return failStatic(SPCC_ERR_UNSUPPORTED,
                      "spcc_model_profile_enable: the model has no timing table (GPU models, "
                      "and models compiled before it, cannot be profiled)");
  if (enable) {
    std::fill(profile->nanoseconds, profile->nanoseconds + profile->num_steps, uint64_t(0));
    *profile->runs = 0;
  }
  *profile->enabled = enable ? 1 : 0;
  return SPCC_OK;
}

extern "C" int spcc_model_profile_size(const spcc_model *model) {
  return model && model->profile ? int(model->profile->num_steps) : -1;
}

extern "C" spcc_status spcc_model_profile_entry(const spcc_model *model, int index,
                                                spcc_profile_entry *out) {
  if (!model || !out)
    return failStatic(SPCC_ERR_INVALID_ARGUMENT, "spcc_model_profile_entry: model or out is NULL");
  const spcc_abi_profile *profile = model->profile;
  if (!profile)
    return failStatic(SPCC_ERR_UNSUPPORTED,
                      "spcc_model_profile_entry: the model has no timing table");
  if (index < 0 || uint32_t(index) >= profile->num_steps)
    return failStatic(SPCC_ERR_INVALID_ARGUMENT, "spcc_model_profile_entry: index out of range");
  out->name = profile->names[index];
  out->op = profile->ops[index];
  out->seconds = double(profile->nanoseconds[index]) * 1e-9;
  out->runs = int64_t(*profile->runs);
  return SPCC_OK;
}
