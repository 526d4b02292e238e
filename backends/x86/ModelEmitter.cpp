//===- ModelEmitter.cpp - LLVM IR of a compiled model --------------------===//
#include "backends/x86/ModelEmitter.h"

#include "backends/common/AbiConstants.h"

#include "compiler/ops/Aliases.h"
#include "compiler/support/Error.h"
#include "runtime/ModelAbi.h"
#include "runtime/include/spcc/spcc.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstddef>
#include <functional>

namespace spcc::x86 {
namespace {

// The LLVM struct types below spell out the C layouts of ModelAbi.h.
static_assert(sizeof(void *) == 8 && sizeof(spcc_abi_tensor) == 24 &&
                  offsetof(spcc_abi_tensor, dtype) == 8 && offsetof(spcc_abi_tensor, rank) == 12 &&
                  offsetof(spcc_abi_tensor, dims) == 16,
              "spcc_abi_tensor layout changed");
static_assert(sizeof(spcc_abi_model) == 80 && offsetof(spcc_abi_model, code_kind) == 12 &&
                  offsetof(spcc_abi_model, inputs) == 16 &&
                  offsetof(spcc_abi_model, outputs) == 24 &&
                  offsetof(spcc_abi_model, arena_bytes) == 32 &&
                  offsetof(spcc_abi_model, run) == 40 && offsetof(spcc_abi_model, target) == 48 &&
                  offsetof(spcc_abi_model, num_run_failures) == 56 &&
                  offsetof(spcc_abi_model, run_failures) == 64 &&
                  offsetof(spcc_abi_model, gpu) == 72,
              "spcc_abi_model layout changed");
static_assert(sizeof(spcc_abi_profile) == 48 && offsetof(spcc_abi_profile, names) == 8 &&
                  offsetof(spcc_abi_profile, nanoseconds) == 24 &&
                  offsetof(spcc_abi_profile, enabled) == 40,
              "spcc_abi_profile layout changed");

/// CLOCK_MONOTONIC, as Linux numbers it.
constexpr int kMonotonicClock = 1;

/// Alignment of weights in the model's read-only data, in bytes.
constexpr uint64_t kWeightAlignment = 64;
/// Alignment of parameter structs (KernelCall::params), in bytes.
constexpr uint64_t kParamsAlignment = 8;

/// One emission: the module under construction and the storage of the values emitted so far.
class ModelEmitter {
public:
  ModelEmitter(const Graph &graph, llvm::ArrayRef<KernelCall> calls, llvm::StringRef kernelLevel,
               llvm::LLVMContext &context)
      : graph(graph), calls(calls), kernelLevel(kernelLevel), context(context),
        module(std::make_unique<llvm::Module>(graph.getName(), context)), builder(context),
        ptrTy(llvm::PointerType::getUnqual(context)), i32Ty(builder.getInt32Ty()),
        i64Ty(builder.getInt64Ty()) {}

  llvm::Expected<std::unique_ptr<llvm::Module>> emit();

private:
  /// A private constant global holding \p bytes.
  llvm::GlobalVariable *bytesGlobal(const llvm::Twine &name, llvm::ArrayRef<uint8_t> bytes,
                                    uint64_t alignment);
  /// The parameters of a generated layer: its task's address and its tile table in the first
  /// two pointer fields, then the rest of call.params.
  llvm::GlobalVariable *generatedParams(const KernelCall &call, size_t index);
  llvm::GlobalVariable *stringGlobal(const llvm::Twine &name, llvm::StringRef text) {
    return emitStringGlobal(*module, name, text);
  }
  llvm::Constant *tensorTable(llvm::StringRef kind,
                              llvm::ArrayRef<std::pair<std::string, const Value *>> tensors) {
    return emitTensorTable(*module, graph, kind, tensors);
  }
  llvm::Expected<llvm::Function *> emitRunFunction();
  /// Calls \p kernel; when \p call can fail, a failure returns its number from the run function.
  void emitKernelCall(const KernelCall &call, llvm::FunctionCallee kernel,
                      llvm::ArrayRef<llvm::Value *> arguments);
  /// The run_failures table: the message of each failure number, from 1.
  llvm::Constant *failureTable();
  /// The per-node timing counters (spcc_abi_profile) for \p steps kernel calls.
  void createProfileCounters(size_t steps);
  /// Nanoseconds of CLOCK_MONOTONIC, through libc's clock_gettime.
  llvm::Value *emitNow();
  /// Emits \p emitCall, timed into counter \p step while profiling is on.
  void emitTimed(size_t step, const std::function<void()> &emitCall);
  /// The exported spcc_abi_profile of the model.
  void emitProfileEntry();
  /// The address of \p v's bytes inside the run function (v is a storage root).
  llvm::Expected<llvm::Value *> storageOf(const Value *v);
  /// The scratch memory of kernel calls: the arena past the planned values.
  llvm::Value *workspace() {
    if (!workspacePtr)
      workspacePtr = builder.CreateConstInBoundsGEP1_64(
          builder.getInt8Ty(), arena, uint64_t(graph.getArenaBytes()), "workspace");
    return workspacePtr;
  }
  /// Bytes of the whole arena: planned values, then the largest kernel workspace.
  uint64_t arenaBytes() const {
    int64_t workspaceBytes = 0;
    for (const KernelCall &call : calls)
      workspaceBytes = std::max(workspaceBytes, call.workspaceBytes);
    return uint64_t(graph.getArenaBytes()) +
           llvm::alignTo(uint64_t(workspaceBytes), uint64_t(SPCC_ABI_ARENA_ALIGNMENT));
  }

  const Graph &graph;
  llvm::ArrayRef<KernelCall> calls;
  llvm::StringRef kernelLevel;
  llvm::LLVMContext &context;
  std::unique_ptr<llvm::Module> module;
  llvm::IRBuilder<> builder;
  llvm::PointerType *ptrTy;
  llvm::IntegerType *i32Ty;
  llvm::IntegerType *i64Ty;

  // Inside the run function.
  llvm::Value *arena = nullptr;
  llvm::Value *workspacePtr = nullptr;
  llvm::SmallVector<llvm::Value *> inputPtrs;  // loaded from the inputs argument
  llvm::SmallVector<llvm::Value *> outputPtrs; // loaded from the outputs argument
  llvm::DenseMap<const Value *, llvm::Value *> storage;
  unsigned numWeights = 0;
  /// KernelCall::failureMessage of each checked call, in order: failure number i + 1.
  std::vector<std::string> failureMessages;
  // Profiling: the switch, the counters, and each timed call's node name and op.
  llvm::GlobalVariable *profileEnabled = nullptr, *profileNanoseconds = nullptr,
                       *profileRuns = nullptr;
  llvm::Value *timespec = nullptr;
  std::vector<std::string> profileNames, profileOps;
};

llvm::GlobalVariable *ModelEmitter::bytesGlobal(const llvm::Twine &name,
                                                llvm::ArrayRef<uint8_t> bytes, uint64_t alignment) {
  llvm::Constant *init = llvm::ConstantDataArray::get(context, bytes);
  auto *global = new llvm::GlobalVariable(*module, init->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::PrivateLinkage, init, name);
  global->setAlignment(llvm::Align(alignment));
  return global;
}

llvm::GlobalVariable *ModelEmitter::generatedParams(const KernelCall &call, size_t index) {
  constexpr size_t pointerFields = 2 * sizeof(void *);
  assert(call.params.size() > pointerFields);
  auto *fnTy = llvm::FunctionType::get(builder.getVoidTy(), {ptrTy}, false);
  auto *task =
      llvm::Function::Create(fnTy, llvm::GlobalValue::ExternalLinkage, call.generatedTask, *module);
  task->setVisibility(llvm::GlobalValue::HiddenVisibility);
  llvm::Constant *tableInit = llvm::ConstantDataArray::get(context, call.taskTable);
  auto *table = new llvm::GlobalVariable(*module, tableInit->getType(), true,
                                         llvm::GlobalValue::PrivateLinkage, tableInit,
                                         "tiles." + llvm::Twine(index));
  table->setAlignment(llvm::Align(8));
  llvm::Constant *rest = llvm::ConstantDataArray::get(
      context, llvm::ArrayRef<uint8_t>(call.params).drop_front(pointerFields));
  llvm::Constant *init = llvm::ConstantStruct::getAnon({task, table, rest});
  auto *global =
      new llvm::GlobalVariable(*module, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                               init, "params." + llvm::Twine(index));
  global->setAlignment(llvm::Align(kParamsAlignment));
  return global;
}

llvm::Expected<llvm::Value *> ModelEmitter::storageOf(const Value *v) {
  if (auto it = storage.find(v); it != storage.end()) return it->second;
  llvm::Value *address = nullptr;
  if (v->isConstant()) {
    address = bytesGlobal("weight." + llvm::Twine(numWeights++), v->getConstant().getBytes(),
                          kWeightAlignment);
  } else if (v->getArenaOffset() >= 0) {
    address = builder.CreateConstInBoundsGEP1_64(
        builder.getInt8Ty(), arena, uint64_t(v->getArenaOffset()), "arena." + v->getName());
  } else {
    // A graph input, or a value computed straight into (the first of) its graph outputs.
    llvm::ArrayRef<Value *> inputs = graph.getInputs();
    for (size_t i = 0; i < inputs.size() && !address; ++i)
      if (inputs[i] == v) address = inputPtrs[i];
    llvm::ArrayRef<GraphOutput> outputs = graph.getOutputs();
    for (size_t i = 0; i < outputs.size() && !address; ++i)
      if (aliasRoot(outputs[i].value) == v) address = outputPtrs[i];
  }
  if (!address)
    return makeError(ErrorCode::Internal,
                     "value '" + v->getName() + "' has no storage: memory planning has not run");
  storage[v] = address;
  return address;
}

llvm::Expected<llvm::Function *> ModelEmitter::emitRunFunction() {
  auto *runTy = llvm::FunctionType::get(i32Ty, {ptrTy, ptrTy, ptrTy, i32Ty}, false);
  auto *run =
      llvm::Function::Create(runTy, llvm::GlobalValue::InternalLinkage, "spcc_model_run", *module);
  run->setUWTableKind(llvm::UWTableKind::Async);
  run->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Argument *inputsArg = run->getArg(0), *outputsArg = run->getArg(1);
  llvm::Argument *threads = run->getArg(3);
  arena = run->getArg(2);
  inputsArg->setName("inputs");
  outputsArg->setName("outputs");
  arena->setName("arena");
  threads->setName("num_threads");
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", run));

  for (size_t i = 0; i < graph.getInputs().size(); ++i)
    inputPtrs.push_back(builder.CreateLoad(
        ptrTy, builder.CreateConstInBoundsGEP1_64(ptrTy, inputsArg, i), "in." + llvm::Twine(i)));
  for (size_t i = 0; i < graph.getOutputs().size(); ++i)
    outputPtrs.push_back(builder.CreateLoad(
        ptrTy, builder.CreateConstInBoundsGEP1_64(ptrTy, outputsArg, i), "out." + llvm::Twine(i)));

  // One pair of pointer arrays, refilled before each call (kernels do not keep them).
  std::vector<Node *> nodes = graph.getNodes();
  size_t maxInputs = 1, maxOutputs = 1;
  for (size_t n = 0; n < nodes.size(); ++n) {
    maxInputs = std::max({maxInputs, nodes[n]->getNumInputs(), calls[n].inputMap.size()});
    maxOutputs = std::max(maxOutputs, nodes[n]->getNumOutputs() + 1); // + workspace
  }
  llvm::Value *inArray =
      builder.CreateAlloca(llvm::ArrayType::get(ptrTy, maxInputs), nullptr, "kernel.inputs");
  llvm::Value *outArray =
      builder.CreateAlloca(llvm::ArrayType::get(ptrTy, maxOutputs), nullptr, "kernel.outputs");
  auto *kernelTy = llvm::FunctionType::get(i32Ty, {ptrTy, ptrTy, ptrTy, i32Ty}, false);
  size_t steps = 0;
  for (size_t n = 0; n < nodes.size(); ++n) steps += !calls[n].isAlias;
  createProfileCounters(steps);
  timespec = builder.CreateAlloca(llvm::ArrayType::get(i64Ty, 2), nullptr, "timespec");

  for (size_t n = 0; n < nodes.size(); ++n) {
    const Node &node = *nodes[n];
    const KernelCall &call = calls[n];
    if (call.isAlias != isAliasOp(node))
      return makeError(ErrorCode::Internal,
                       node.describe() + ": the kernel lowering and memory planning disagree "
                                         "on whether it is a view of its input");
    if (call.isAlias) continue;
    size_t numInputs = call.inputMap.empty() ? node.getNumInputs() : call.inputMap.size();
    for (size_t i = 0; i < numInputs; ++i) {
      llvm::Value *address = llvm::ConstantPointerNull::get(ptrTy);
      int index = call.inputMap.empty() ? int(i) : call.inputMap[i];
      if (const Value *in = index >= 0 ? node.getInput(size_t(index)) : nullptr) {
        auto found = storageOf(aliasRoot(in));
        if (!found) return found.takeError();
        address = *found;
      }
      builder.CreateStore(address, builder.CreateConstInBoundsGEP1_64(ptrTy, inArray, i));
    }
    for (size_t i = 0; i < node.getNumOutputs(); ++i) {
      auto found = storageOf(node.getOutput(i));
      if (!found) return found.takeError();
      builder.CreateStore(*found, builder.CreateConstInBoundsGEP1_64(ptrTy, outArray, i));
    }
    if (call.workspaceBytes > 0)
      builder.CreateStore(
          workspace(), builder.CreateConstInBoundsGEP1_64(ptrTy, outArray, node.getNumOutputs()));
    llvm::Value *params = llvm::ConstantPointerNull::get(ptrTy);
    if (!call.generatedTask.empty())
      params = generatedParams(call, n);
    else if (!call.params.empty())
      params = bytesGlobal("params." + llvm::Twine(n), call.params, kParamsAlignment);
    llvm::FunctionCallee kernel = module->getOrInsertFunction(call.symbol, kernelTy);
    profileNames.push_back(node.getName().empty() ? node.getOutput(0)->getName() : node.getName());
    // The op and the kernel that runs it ("FusedConv (depthwise_conv)"): one op may run on
    // several kernels (generated sparse code, dense, depthwise), which a profile tells apart.
    llvm::StringRef kernelName = call.symbol;
    kernelName.consume_front("spcc_kernel_");
    profileOps.push_back((node.getOpType() + " (" + kernelName + ")").str());
    emitTimed(profileNames.size() - 1,
              [&] { emitKernelCall(call, kernel, {inArray, outArray, params, threads}); });
  }

  // Outputs that are not computed in place: copies of inputs, constants, or another output.
  llvm::ArrayRef<GraphOutput> outputs = graph.getOutputs();
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto source = storageOf(aliasRoot(outputs[i].value));
    if (!source) return source.takeError();
    if (*source == outputPtrs[i]) continue;
    builder.CreateMemCpy(outputPtrs[i], llvm::MaybeAlign(1), *source, llvm::MaybeAlign(1),
                         uint64_t(outputs[i].value->getType().getSizeInBytes()));
  }
  // A completed run while profiling counts.
  llvm::Value *runs = builder.CreateLoad(i64Ty, profileRuns);
  llvm::Value *on = builder.CreateICmpNE(builder.CreateLoad(i32Ty, profileEnabled),
                                         llvm::ConstantInt::get(i32Ty, 0));
  builder.CreateStore(builder.CreateAdd(runs, builder.CreateZExt(on, i64Ty)), profileRuns);
  builder.CreateRet(llvm::ConstantInt::get(i32Ty, 0));
  return run;
}

void ModelEmitter::createProfileCounters(size_t steps) {
  auto counter = [&](llvm::Type *type, const char *name) {
    auto *global = new llvm::GlobalVariable(*module, type, /*isConstant=*/false,
                                            llvm::GlobalValue::InternalLinkage,
                                            llvm::Constant::getNullValue(type), name);
    global->setAlignment(llvm::Align(8));
    return global;
  };
  profileEnabled = counter(i32Ty, "profile.enabled");
  profileRuns = counter(i64Ty, "profile.runs");
  profileNanoseconds =
      counter(llvm::ArrayType::get(i64Ty, std::max<size_t>(steps, 1)), "profile.nanoseconds");
}

llvm::Value *ModelEmitter::emitNow() {
  llvm::FunctionCallee clockGettime = module->getOrInsertFunction(
      "clock_gettime", llvm::FunctionType::get(i32Ty, {i32Ty, ptrTy}, false));
  builder.CreateCall(clockGettime, {llvm::ConstantInt::get(i32Ty, kMonotonicClock), timespec});
  llvm::Value *seconds = builder.CreateLoad(i64Ty, timespec);
  llvm::Value *nanoseconds =
      builder.CreateLoad(i64Ty, builder.CreateConstInBoundsGEP1_64(i64Ty, timespec, 1));
  return builder.CreateAdd(builder.CreateMul(seconds, llvm::ConstantInt::get(i64Ty, 1000000000)),
                           nanoseconds);
}

void ModelEmitter::emitTimed(size_t step, const std::function<void()> &emitCall) {
  // One load and branch per call when profiling is off.
  llvm::Function *run = builder.GetInsertBlock()->getParent();
  llvm::Value *on = builder.CreateICmpNE(builder.CreateLoad(i32Ty, profileEnabled),
                                         llvm::ConstantInt::get(i32Ty, 0), "profiling");
  llvm::BasicBlock *before = builder.GetInsertBlock();
  auto *start = llvm::BasicBlock::Create(context, "profile.start", run);
  auto *call = llvm::BasicBlock::Create(context, "call", run);
  builder.CreateCondBr(on, start, call);
  builder.SetInsertPoint(start);
  llvm::Value *began = emitNow();
  builder.CreateBr(call);
  builder.SetInsertPoint(call);
  llvm::PHINode *startTime = builder.CreatePHI(i64Ty, 2, "began");
  startTime->addIncoming(began, start);
  startTime->addIncoming(llvm::ConstantInt::get(i64Ty, 0), before);
  emitCall();
  auto *stop = llvm::BasicBlock::Create(context, "profile.stop", run);
  auto *after = llvm::BasicBlock::Create(context, "after", run);
  builder.CreateCondBr(on, stop, after);
  builder.SetInsertPoint(stop);
  llvm::Value *counter = builder.CreateConstInBoundsGEP2_64(profileNanoseconds->getValueType(),
                                                            profileNanoseconds, 0, step);
  builder.CreateStore(builder.CreateAdd(builder.CreateLoad(i64Ty, counter),
                                        builder.CreateSub(emitNow(), startTime)),
                      counter);
  builder.CreateBr(after);
  builder.SetInsertPoint(after);
}

void ModelEmitter::emitProfileEntry() {
  auto names = [&](const std::vector<std::string> &texts, const char *kind) -> llvm::Constant * {
    if (texts.empty()) return llvm::ConstantPointerNull::get(ptrTy);
    std::vector<llvm::Constant *> entries;
    for (size_t i = 0; i < texts.size(); ++i)
      entries.push_back(
          stringGlobal(llvm::Twine("profile.") + kind + "." + llvm::Twine(i), texts[i]));
    auto *arrayTy = llvm::ArrayType::get(ptrTy, entries.size());
    auto *table = new llvm::GlobalVariable(
        *module, arrayTy, true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(arrayTy, entries), llvm::Twine("profile.") + kind);
    table->setAlignment(llvm::Align(8));
    return table;
  };
  auto *profileTy =
      llvm::StructType::get(context, {i32Ty, i32Ty, ptrTy, ptrTy, ptrTy, ptrTy, ptrTy});
  llvm::Constant *init = llvm::ConstantStruct::get(
      profileTy, {llvm::ConstantInt::get(i32Ty, profileNames.size()),
                  llvm::ConstantInt::get(i32Ty, 0), names(profileNames, "name"),
                  names(profileOps, "op"), profileNanoseconds, profileRuns, profileEnabled});
  auto *table = new llvm::GlobalVariable(*module, profileTy, true,
                                         llvm::GlobalValue::PrivateLinkage, init, "profile");
  table->setAlignment(llvm::Align(8));
  auto *entry = llvm::Function::Create(llvm::FunctionType::get(ptrTy, false),
                                       llvm::GlobalValue::ExternalLinkage,
                                       SPCC_MODEL_PROFILE_SYMBOL, *module);
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  builder.CreateRet(table);
}

void ModelEmitter::emitKernelCall(const KernelCall &call, llvm::FunctionCallee kernel,
                                  llvm::ArrayRef<llvm::Value *> arguments) {
  llvm::Value *status = builder.CreateCall(kernel, arguments);
  if (call.failureMessage.empty()) return;
  failureMessages.push_back(call.failureMessage);
  llvm::Function *run = builder.GetInsertBlock()->getParent();
  auto *failed = llvm::BasicBlock::Create(context, "failed", run);
  auto *next = llvm::BasicBlock::Create(context, "next", run);
  builder.CreateCondBr(builder.CreateICmpNE(status, llvm::ConstantInt::get(i32Ty, 0)), failed,
                       next);
  builder.SetInsertPoint(failed);
  builder.CreateRet(llvm::ConstantInt::get(i32Ty, failureMessages.size()));
  builder.SetInsertPoint(next);
}

llvm::Constant *ModelEmitter::failureTable() {
  if (failureMessages.empty()) return llvm::ConstantPointerNull::get(ptrTy);
  std::vector<llvm::Constant *> entries;
  for (size_t i = 0; i < failureMessages.size(); ++i)
    entries.push_back(stringGlobal("failure." + llvm::Twine(i + 1), failureMessages[i]));
  auto *arrayTy = llvm::ArrayType::get(ptrTy, entries.size());
  auto *table =
      new llvm::GlobalVariable(*module, arrayTy, true, llvm::GlobalValue::PrivateLinkage,
                               llvm::ConstantArray::get(arrayTy, entries), "run_failures");
  table->setAlignment(llvm::Align(8));
  return table;
}

llvm::Expected<std::unique_ptr<llvm::Module>> ModelEmitter::emit() {
  if (calls.size() != graph.getNumNodes())
    return makeError(ErrorCode::Internal, "kernel plan does not match the graph");
  module->setSourceFileName(graph.getName());
  auto run = emitRunFunction();
  if (!run) return run.takeError();

  std::vector<std::pair<std::string, const Value *>> inputs, outputs;
  for (const Value *v : graph.getInputs()) inputs.push_back({v->getName(), v});
  for (const GraphOutput &out : graph.getOutputs()) outputs.push_back({out.name, out.value});
  auto *modelTy = llvm::StructType::get(context, {i32Ty, i32Ty, i32Ty, i32Ty, ptrTy, ptrTy, i64Ty,
                                                  ptrTy, ptrTy, i32Ty, ptrTy, ptrTy});
  llvm::Constant *init = llvm::ConstantStruct::get(
      modelTy,
      {llvm::ConstantInt::get(i32Ty, SPCC_ABI_VERSION),
       llvm::ConstantInt::get(i32Ty, inputs.size()), llvm::ConstantInt::get(i32Ty, outputs.size()),
       llvm::ConstantInt::get(i32Ty, SPCC_ABI_CODE_HOST), tensorTable("inputs", inputs),
       tensorTable("outputs", outputs), llvm::ConstantInt::get(i64Ty, arenaBytes()), *run,
       stringGlobal("target", kernelLevel), llvm::ConstantInt::get(i32Ty, failureMessages.size()),
       failureTable(), llvm::ConstantPointerNull::get(ptrTy)});
  auto *descriptor = new llvm::GlobalVariable(*module, modelTy, true,
                                              llvm::GlobalValue::PrivateLinkage, init, "model");
  descriptor->setAlignment(llvm::Align(8));

  auto *entry =
      llvm::Function::Create(llvm::FunctionType::get(ptrTy, false),
                             llvm::GlobalValue::ExternalLinkage, SPCC_MODEL_ENTRY_SYMBOL, *module);
  entry->addFnAttr(llvm::Attribute::NoUnwind);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", entry));
  builder.CreateRet(descriptor);
  emitProfileEntry();
  return std::move(module);
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::Module>> emitModelModule(const Graph &graph,
                                                              llvm::ArrayRef<KernelCall> calls,
                                                              llvm::StringRef kernelLevel,
                                                              llvm::LLVMContext &context) {
  return ModelEmitter(graph, calls, kernelLevel, context).emit();
}

} // namespace spcc::x86
