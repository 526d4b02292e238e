//===- ExpandRecurrent.cpp - RNN, GRU and LSTM as the ops of their steps -===//
//
// A recurrent node with constant weights becomes, per direction:
//   XW = X[T*B, I] x W^T + bias            one MatMul for every step's input projection (pruned
//                                          W gets generated sparse code, N = T*B)
//   per step t: gates = XW[t] + H x R^T, then the cell's Slices, activations and updates,
// with the step outputs concatenated into Y and the last states into Y_h / Y_c. The sequence
// length is fixed at compile time, so the steps are unrolled; every later pass (epilogue fusion,
// memory planning) and every backend then treats them as ordinary nodes.
//
//===----------------------------------------------------------------------===//
#include "compiler/ops/OpSchema.h"
#include "compiler/ops/Recurrent.h"
#include "passes/NodeEmitter.h"
#include "passes/Pass.h"

namespace spcc {
namespace {

/// Rows [begin, end) of \p matrix ([rows, cols] floats), transposed: [cols, end - begin].
Tensor transposedRows(const float *matrix, int64_t begin, int64_t end, int64_t cols) {
  Tensor out(TensorType(DType::Float32, {cols, end - begin}));
  auto data = out.getMutableData<float>();
  for (int64_t r = begin; r < end; ++r)
    for (int64_t c = 0; c < cols; ++c)
      data[size_t(c * (end - begin) + r - begin)] = matrix[r * cols + c];
  return out;
}

Tensor vector(const float *values, int64_t n) {
  return Tensor::fromVector<float>({n}, std::vector<float>(values, values + n));
}

class RecurrentExpander {
public:
  RecurrentExpander(Graph &graph, Node &node, RecurrentShape shape)
      : graph(graph), node(node), s(std::move(shape)),
        emitter(graph, node.getName().empty() ? node.getOutput(0)->getName() : node.getName()) {}

  llvm::Error run() {
    Value *x = node.getInput(kRecurrentX);
    if (s.batchMajor) x = emitter.transpose(x, {1, 0, 2});
    Value *rows = emitter.reshape(x, {s.steps * s.batch, s.inputSize});
    std::vector<Value *> ys, lastH, lastC;
    for (int d = 0; d < s.directions; ++d) expandDirection(rows, d, ys, lastH, lastC);
    // Y: [T, D, B, H] (layout 1: [B, T, D, H]); Y_h, Y_c: [D, B, H] (layout 1: [B, D, H]).
    Value *y = emitter.concat(ys, 1);
    std::vector<Value *> results = {s.batchMajor ? emitter.transpose(y, {2, 0, 1, 3}) : y};
    for (std::vector<Value *> *states : {&lastH, &lastC}) {
      if (states->empty()) continue;
      Value *joined = emitter.concat(*states, 0);
      results.push_back(s.batchMajor ? emitter.transpose(joined, {1, 0, 2}) : joined);
    }
    if (llvm::Error err = emitter.error()) return err;
    for (size_t i = 0; i < node.getNumOutputs(); ++i)
      graph.replaceAllUsesWith(node.getOutput(i), results[i]);
    graph.eraseNode(&node);
    return llvm::Error::success();
  }

private:
  const float *weights(size_t input) const {
    return node.getInput(input)->getConstant().getData<float>().data();
  }
  bool has(size_t input) const {
    return input < node.getNumInputs() && node.getInput(input) != nullptr;
  }

  /// The initial state of direction \p d as [B, H]: from the input, or zeros.
  Value *initialState(size_t input, int d) {
    if (!has(input))
      return emitter.constant("zero_state",
                              Tensor(TensorType(DType::Float32, {s.batch, s.hidden})));
    Value *part = emitter.slice(node.getInput(input), s.batchMajor ? 1 : 0, d, d + 1);
    return emitter.reshape(part, {s.batch, s.hidden});
  }

  Value *activate(const std::string &name, Value *x) {
    if (s.hasClip)
      x = emitter.emit("Clip", {x, emitter.constant("clip_min", Tensor::scalar(-s.clip)),
                                emitter.constant("clip_max", Tensor::scalar(s.clip))});
    return emitter.emit(name, {x});
  }

  void expandDirection(Value *rows, int d, std::vector<Value *> &ys, std::vector<Value *> &lastH,
                       std::vector<Value *> &lastC) {
    const int64_t H = s.hidden, GH = s.gates * H;
    const bool gru = s.cell == RecurrentCell::Gru, lstm = s.cell == RecurrentCell::Lstm;
    const float *w = weights(kRecurrentW) + d * GH * s.inputSize;
    const float *r = weights(kRecurrentR) + d * GH * H;
    const float *b = has(kRecurrentB) ? weights(kRecurrentB) + d * 2 * GH : nullptr;
    // The input-side bias takes the recurrent bias too, except GRU's candidate gate, whose
    // recurrent bias sits inside the reset product.
    std::vector<float> inputBias(size_t(GH), 0.0f), candidateBias(size_t(H), 0.0f);
    for (int64_t j = 0; b && j < GH; ++j) {
      bool gruCandidate = gru && j >= 2 * H;
      inputBias[size_t(j)] = b[j] + (gruCandidate ? 0.0f : b[GH + j]);
      if (gruCandidate) candidateBias[size_t(j - 2 * H)] = b[GH + j];
    }
    Value *projected = emitter.emit(
        "Add", {emitter.emit("MatMul",
                             {rows, emitter.constant("W", transposedRows(w, 0, GH, s.inputSize))}),
                emitter.constant("bias", vector(inputBias.data(), GH))});

    // R^T, with GRU's candidate gate apart (its product comes after the reset).
    Value *recurrent = emitter.constant("R", transposedRows(r, 0, gru ? 2 * H : GH, H));
    Value *candidateR =
        gru ? emitter.constant("R_candidate", transposedRows(r, 2 * H, GH, H)) : nullptr;
    Value *candidateB =
        gru ? emitter.constant("candidate_bias", vector(candidateBias.data(), H)) : nullptr;
    Value *peepholes[3] = {};
    if (lstm && has(kRecurrentPeepholes))
      for (int g = 0; g < 3; ++g)
        peepholes[g] =
            emitter.constant("P", vector(weights(kRecurrentPeepholes) + d * 3 * H + g * H, H));
    auto withPeephole = [&](Value *gate, int p, Value *c) {
      return peepholes[p] ? emitter.emit("Add", {gate, emitter.emit("Mul", {c, peepholes[p]})})
                          : gate;
    };
    auto gate = [&](Value *v, int64_t g) { return emitter.slice(v, 1, g * H, (g + 1) * H); };

    Value *state = initialState(kRecurrentInitialH, d);
    Value *cell = lstm ? initialState(kRecurrentInitialC, d) : nullptr;
    const std::vector<std::string> &act = s.activations[size_t(d)];
    bool reverse = s.reverse || d == 1;
    std::vector<Value *> outputs(size_t(s.steps));
    for (int64_t step = 0; step < s.steps; ++step) {
      int64_t t = reverse ? s.steps - 1 - step : step;
      // Sequences shorter than T: entries past their length keep their state and output zeros
      // (a reverse direction starts at each one's last element).
      std::vector<float> active(size_t(s.batch), 1.0f);
      for (size_t b = 0; b < s.lengths.size(); ++b) active[b] = t < s.lengths[b] ? 1.0f : 0.0f;
      int64_t activeCount = int64_t(std::count(active.begin(), active.end(), 1.0f));
      if (activeCount == 0) {
        outputs[size_t(t)] =
            emitter.constant("zeros", Tensor(TensorType(DType::Float32, {1, 1, s.batch, H})));
        continue;
      }
      Value *previousState = state, *previousCell = cell;
      Value *xt = emitter.slice(projected, 0, t * s.batch, (t + 1) * s.batch);
      Value *hr = emitter.emit("MatMul", {state, recurrent});
      if (s.cell == RecurrentCell::Rnn) {
        state = activate(act[0], emitter.emit("Add", {xt, hr}));
      } else if (gru) {
        Value *zr = emitter.emit("Add", {emitter.slice(xt, 1, 0, 2 * H), hr});
        Value *zPre = gate(zr, 0);
        Value *z = activate(act[0], zPre);
        Value *reset = activate(act[0], gate(zr, 1));
        Value *candidate =
            s.linearBeforeReset
                ? emitter.emit(
                      "Mul",
                      {reset, emitter.emit("Add", {emitter.emit("MatMul", {state, candidateR}),
                                                   candidateB})})
                : emitter.emit("Add", {emitter.emit("MatMul", {emitter.emit("Mul", {reset, state}),
                                                               candidateR}),
                                       candidateB});
        Value *hh = activate(act[1], emitter.emit("Add", {gate(xt, 2), candidate}));
        // (1 - z) * hh + z * h. For a sigmoid, 1 - z is sigmoid(-x): a saturated z is 1.0 in
        // float, its complement still the small number it should be.
        Value *keepNew =
            act[0] == "Sigmoid"
                ? activate(act[0], emitter.emit("Neg", {zPre}))
                : emitter.emit("Sub", {emitter.constant("one", Tensor::scalar(1.0f)), z});
        state = emitter.emit("Add",
                             {emitter.emit("Mul", {keepNew, hh}), emitter.emit("Mul", {z, state})});
      } else {
        Value *gates = emitter.emit("Add", {xt, hr});
        Value *i = activate(act[0], withPeephole(gate(gates, 0), 0, cell));
        Value *f = activate(act[0], withPeephole(gate(gates, 2), 2, cell));
        Value *candidate = activate(act[1], gate(gates, 3));
        cell = emitter.emit("Add",
                            {emitter.emit("Mul", {f, cell}), emitter.emit("Mul", {i, candidate})});
        Value *o = activate(act[0], withPeephole(gate(gates, 1), 1, cell));
        state = emitter.emit("Mul", {o, emitter.emit(act[2], {cell})});
      }
      Value *output = state;
      if (activeCount < s.batch) {
        Value *mask = emitter.constant("active", Tensor::fromVector<float>({s.batch, 1}, active));
        auto masked = [&](Value *previous, Value *next) {
          return emitter.emit(
              "Add",
              {previous, emitter.emit("Mul", {mask, emitter.emit("Sub", {next, previous})})});
        };
        output = emitter.emit("Mul", {mask, state});
        state = masked(previousState, state);
        if (lstm) cell = masked(previousCell, cell);
      }
      outputs[size_t(t)] = emitter.reshape(output, {1, 1, s.batch, H});
    }
    ys.push_back(emitter.concat(outputs, 0));
    lastH.push_back(emitter.reshape(state, {1, s.batch, H}));
    if (lstm && node.getNumOutputs() > 2) lastC.push_back(emitter.reshape(cell, {1, s.batch, H}));
  }

  Graph &graph;
  Node &node;
  RecurrentShape s;
  NodeEmitter emitter;
};

class ExpandRecurrent : public Pass {
public:
  llvm::StringRef getName() const override { return "expand-recurrent"; }

  llvm::Expected<bool> run(Graph &graph, const PassOptions &) override {
    bool changed = false;
    for (Node *node : graph.getNodes()) {
      const std::string &op = node->getOpType();
      if (op != "RNN" && op != "GRU" && op != "LSTM") continue;
      for (size_t i : {kRecurrentW, kRecurrentR, kRecurrentB, kRecurrentPeepholes}) {
        const Value *v = i < node->getNumInputs() ? node->getInput(i) : nullptr;
        if (v && !v->isConstant())
          return nodeError(
              *node, ErrorCode::Unsupported,
              "input " + llvm::Twine(i) + " ('" + v->getName() +
                  "') must be known at compile time (the weights and biases are compiled in)");
      }
      const Value *lens = node->getNumInputs() > kRecurrentSequenceLens
                              ? node->getInput(kRecurrentSequenceLens)
                              : nullptr;
      auto shape =
          readRecurrentShape(*node, lens && lens->isConstant() ? &lens->getConstant() : nullptr);
      if (!shape) return shape.takeError();
      // Unrolled, each step is a dozen nodes: past this, compile time and code size run away.
      constexpr int64_t kMaxUnrolledSteps = 4096;
      if (shape->steps * shape->directions > kMaxUnrolledSteps)
        return nodeError(*node, ErrorCode::Unsupported,
                         llvm::Twine(shape->steps) + " steps x " + llvm::Twine(shape->directions) +
                             " directions: spcc unrolls at most " + llvm::Twine(kMaxUnrolledSteps) +
                             " steps");
      if (llvm::Error err = RecurrentExpander(graph, *node, std::move(*shape)).run()) return err;
      changed = true;
    }
    if (!changed) return false;
    graph.removeUnusedValues();
    if (llvm::Error err = graph.sortTopologically()) return std::move(err);
    return true;
  }
};

} // namespace

std::unique_ptr<Pass> createExpandRecurrent() { return std::make_unique<ExpandRecurrent>(); }

} // namespace spcc
