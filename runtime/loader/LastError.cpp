//===- LastError.cpp - Per-thread message of the last failing C API call --===//

#include "LastError.h"

namespace spcc::runtime {
namespace {

/// The calling thread's last error message; "" until a call fails.
std::string &lastErrorSlot() noexcept {
  thread_local std::string message;
  return message;
}

/// Used when even the message cannot be allocated.
thread_local const char *fixedMessage = nullptr;

} // namespace

spcc_status fail(spcc_status status, const std::string &message) noexcept {
  try {
    lastErrorSlot() = message;
    fixedMessage = nullptr;
  } catch (...) {
    fixedMessage = "out of memory while recording an error message";
  }
  return status;
}

spcc_status failStatic(spcc_status status, const char *staticMessage) noexcept {
  lastErrorSlot().clear();
  fixedMessage = staticMessage;
  return status;
}

} // namespace spcc::runtime

using namespace spcc::runtime;

extern "C" const char *spcc_last_error(void) {
  if (fixedMessage) return fixedMessage;
  return lastErrorSlot().c_str();
}
