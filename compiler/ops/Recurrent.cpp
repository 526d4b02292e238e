//===- Recurrent.cpp - RNN, GRU and LSTM ---------------------------------===//
#include "compiler/ops/Recurrent.h"

#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cmath>

namespace spcc {

RecurrentCell recurrentCellOf(const Node &node) {
  if (node.getOpType() == "LSTM") return RecurrentCell::Lstm;
  if (node.getOpType() == "GRU") return RecurrentCell::Gru;
  return RecurrentCell::Rnn;
}

/// Canonical spelling of a supported activation name ("sigmoid" -> "Sigmoid"), or "".
static std::string canonicalActivation(const std::string &name) {
  for (const char *known : {"Sigmoid", "Tanh", "Relu"})
    if (llvm::StringRef(name).equals_insensitive(known)) return known;
  return "";
}

bool isSupportedRecurrentActivation(const std::string &name) {
  return !canonicalActivation(name).empty();
}

llvm::Expected<RecurrentShape> readRecurrentShape(const Node &node, const Tensor *sequenceLens) {
  RecurrentShape s;
  s.cell = recurrentCellOf(node);
  s.gates = s.cell == RecurrentCell::Lstm ? 4 : s.cell == RecurrentCell::Gru ? 3 : 1;
  for (size_t i = 0; i < node.getNumInputs(); ++i) {
    if (!node.getInput(i)) continue;
    if (i == kRecurrentSequenceLens) {
      if (auto err = expectInputDType(node, i, {DType::Int32})) return std::move(err);
    } else if (auto err = expectInputDType(node, i, {DType::Float32})) {
      return std::move(err);
    }
  }
  for (size_t i : {kRecurrentX, kRecurrentW, kRecurrentR})
    if (!node.getInput(i))
      return nodeError(node, ErrorCode::BadModel, "input " + llvm::Twine(i) + " is required");
  for (size_t i : {kRecurrentX, kRecurrentW, kRecurrentR})
    if (auto err = expectInputRank(node, i, 3)) return std::move(err);

  std::string direction = node.getString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return nodeError(node, ErrorCode::BadModel,
                     "direction '" + direction +
                         "' is not one of "
                         "forward, reverse, bidirectional");
  s.directions = direction == "bidirectional" ? 2 : 1;
  s.reverse = direction == "reverse";
  int64_t layout = node.getInt("layout", 0);
  if (layout != 0 && layout != 1)
    return nodeError(node, ErrorCode::BadModel, "layout " + llvm::Twine(layout) + " is not 0 or 1");
  s.batchMajor = layout == 1;
  s.linearBeforeReset = node.getInt("linear_before_reset", 0) != 0;
  if (node.getInt("input_forget", 0) != 0)
    return nodeError(node, ErrorCode::Unsupported, "input_forget = 1 is not supported");
  if (node.hasAttribute("clip")) {
    s.hasClip = true;
    s.clip = node.getFloat("clip", 0);
    if (!(s.clip > 0)) return nodeError(node, ErrorCode::BadModel, "clip must be positive");
  }

  llvm::ArrayRef<int64_t> x = node.getInput(kRecurrentX)->getType().getDims();
  llvm::ArrayRef<int64_t> w = node.getInput(kRecurrentW)->getType().getDims();
  llvm::ArrayRef<int64_t> r = node.getInput(kRecurrentR)->getType().getDims();
  s.steps = s.batchMajor ? x[1] : x[0];
  s.batch = s.batchMajor ? x[0] : x[1];
  s.inputSize = x[2];
  if (w[1] % s.gates != 0)
    return nodeError(node, ErrorCode::Shape,
                     "W " + dimsToString(w) + ": dim 1 is not " + llvm::Twine(s.gates) +
                         " x hidden_size");
  s.hidden = w[1] / s.gates;
  int64_t declared = node.getInt("hidden_size", s.hidden);
  Dims expectW = {s.directions, s.gates * s.hidden, s.inputSize};
  Dims expectR = {s.directions, s.gates * s.hidden, s.hidden};
  if (declared != s.hidden || w != llvm::ArrayRef<int64_t>(expectW))
    return nodeError(node, ErrorCode::Shape,
                     "W is " + dimsToString(w) + ", expected " + dimsToString(expectW) +
                         " (directions, " + llvm::Twine(s.gates) + " x hidden_size " +
                         llvm::Twine(declared) + ", input size)");
  if (r != llvm::ArrayRef<int64_t>(expectR))
    return nodeError(node, ErrorCode::Shape,
                     "R is " + dimsToString(r) + ", expected " + dimsToString(expectR));
  auto expectDims = [&](size_t index, const char *name, Dims expected) -> llvm::Error {
    const Value *v = index < node.getNumInputs() ? node.getInput(index) : nullptr;
    if (!v || v->getType().getDims() == llvm::ArrayRef<int64_t>(expected))
      return llvm::Error::success();
    return nodeError(node, ErrorCode::Shape,
                     llvm::Twine(name) + " is " + v->getType().str() + ", expected " +
                         dimsToString(expected));
  };
  Dims stateDims =
      s.batchMajor ? Dims{s.batch, s.directions, s.hidden} : Dims{s.directions, s.batch, s.hidden};
  if (auto err = expectDims(kRecurrentB, "B", {s.directions, 2 * s.gates * s.hidden}))
    return std::move(err);
  if (auto err = expectDims(kRecurrentSequenceLens, "sequence_lens", {s.batch}))
    return std::move(err);
  if (auto err = expectDims(kRecurrentInitialH, "initial_h", stateDims)) return std::move(err);
  if (s.cell == RecurrentCell::Lstm) {
    if (auto err = expectDims(kRecurrentInitialC, "initial_c", stateDims)) return std::move(err);
    if (auto err = expectDims(kRecurrentPeepholes, "P", {s.directions, 3 * s.hidden}))
      return std::move(err);
  }
  if (node.getNumInputs() > kRecurrentSequenceLens && node.getInput(kRecurrentSequenceLens)) {
    if (!sequenceLens)
      return nodeError(node, ErrorCode::Unsupported, "sequence_lens must be known at compile time");
    bool full = true;
    for (int64_t b = 0; b < sequenceLens->getNumElements(); ++b) {
      int64_t length = sequenceLens->getAsInt(b);
      if (length < 0 || length > s.steps)
        return nodeError(node, ErrorCode::BadModel,
                         "sequence_lens " + llvm::Twine(length) + " for batch entry " +
                             llvm::Twine(b) + " is outside [0, " + llvm::Twine(s.steps) + "]");
      s.lengths.push_back(length);
      full &= length == s.steps;
    }
    if (full) s.lengths.clear();
  }

  size_t perDirection = size_t(s.gates == 1 ? 1 : s.gates == 3 ? 2 : 3);
  static const char *const defaults[] = {"Sigmoid", "Tanh", "Tanh"};
  std::vector<std::string> names;
  if (node.hasAttribute("activations")) {
    const auto *given =
        std::get_if<std::vector<std::string>>(&node.getAttributes().at("activations"));
    if (given) names = *given;
  }
  if (names.empty()) {
    for (int d = 0; d < s.directions; ++d)
      for (size_t k = 0; k < perDirection; ++k)
        names.push_back(s.gates == 1 ? "Tanh" : defaults[k]);
  } else if (names.size() == perDirection && s.directions == 2) {
    names.insert(names.end(), names.begin(), names.end());
  }
  if (names.size() != perDirection * size_t(s.directions))
    return nodeError(node, ErrorCode::BadModel,
                     "activations names " + llvm::Twine(names.size()) + " functions, expected " +
                         llvm::Twine(perDirection * size_t(s.directions)));
  if (node.hasAttribute("activation_alpha") || node.hasAttribute("activation_beta"))
    return nodeError(node, ErrorCode::Unsupported,
                     "activation_alpha / activation_beta are not supported (only Sigmoid, Tanh "
                     "and Relu activations)");
  s.activations.assign(size_t(s.directions), {});
  for (size_t k = 0; k < names.size(); ++k) {
    std::string canonical = canonicalActivation(names[k]);
    if (canonical.empty())
      return nodeError(node, ErrorCode::Unsupported,
                       "activation '" + names[k] +
                           "' is not supported in a recurrent cell (Sigmoid, Tanh, Relu)");
    s.activations[k / perDirection].push_back(canonical);
  }
  return s;
}

namespace {

float activate(const std::string &name, float x) {
  if (name == "Sigmoid") return 1.0f / (1.0f + std::exp(-x));
  if (name == "Tanh") return std::tanh(x);
  return std::max(x, 0.0f); // Relu
}

/// RNN, GRU and LSTM: one schema, the cell chosen by the op type.
class RecurrentOp : public OpSchema {
public:
  RecurrentOp(llvm::StringRef name, int maxInputs, int maxOutputs)
      : OpSchema(name, 3, maxInputs, 1, maxOutputs) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs known) const override {
    const Tensor *lens =
        known.size() > kRecurrentSequenceLens ? known[kRecurrentSequenceLens] : nullptr;
    auto s = readRecurrentShape(node, lens);
    if (!s) return s.takeError();
    Dims y = s->batchMajor ? Dims{s->batch, s->steps, s->directions, s->hidden}
                           : Dims{s->steps, s->directions, s->batch, s->hidden};
    Dims state = s->batchMajor ? Dims{s->batch, s->directions, s->hidden}
                               : Dims{s->directions, s->batch, s->hidden};
    TypeList types{TensorType(DType::Float32, y)};
    for (size_t i = 1; i < node.getNumOutputs(); ++i)
      types.push_back(TensorType(DType::Float32, state));
    return types;
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto input = [&](size_t i) -> const Tensor * {
      return i < inputs.size() && inputs[i].getType().getRank() > 0 ? &inputs[i] : nullptr;
    };
    auto shape = readRecurrentShape(node, input(kRecurrentSequenceLens));
    if (!shape) return shape.takeError();
    const RecurrentShape &s = *shape;
    int64_t T = s.steps, B = s.batch, I = s.inputSize, H = s.hidden, G = s.gates;
    auto x = inputs[kRecurrentX].getData<float>();
    auto w = inputs[kRecurrentW].getData<float>();
    auto r = inputs[kRecurrentR].getData<float>();
    auto data = [&](size_t i) {
      const Tensor *t = input(i);
      return t ? t->getData<float>() : llvm::ArrayRef<float>();
    };
    auto bias = data(kRecurrentB), initialH = data(kRecurrentInitialH);
    auto initialC =
        s.cell == RecurrentCell::Lstm ? data(kRecurrentInitialC) : llvm::ArrayRef<float>();
    auto peep = s.cell == RecurrentCell::Lstm ? data(kRecurrentPeepholes) : llvm::ArrayRef<float>();
    // Index helpers for the two layouts.
    auto xAt = [&](int64_t t, int64_t b) {
      return size_t(((s.batchMajor ? b * T + t : t * B + b)) * I);
    };
    auto stateAt = [&](int64_t d, int64_t b) {
      return size_t((s.batchMajor ? b * s.directions + d : d * B + b) * H);
    };
    auto yAt = [&](int64_t t, int64_t d, int64_t b) {
      return size_t(
          (s.batchMajor ? (b * T + t) * s.directions + d : (t * s.directions + d) * B + b) * H);
    };

    TensorList outs;
    for (size_t i = 0; i < node.getNumOutputs(); ++i)
      outs.push_back(Tensor(node.getOutput(i)->getType()));
    auto y = outs[0].getMutableData<float>();
    auto clip = [&](float v) { return s.hasClip ? std::clamp(v, -s.clip, s.clip) : v; };

    std::vector<float> h(size_t(B * H)), c(size_t(B * H)), xw(size_t(G * H)), hr(size_t(G * H));
    std::vector<float> next(static_cast<size_t>(H)), nextC(static_cast<size_t>(H));
    for (int64_t d = 0; d < s.directions; ++d) {
      bool reverse = s.reverse || d == 1;
      const std::vector<std::string> &act = s.activations[size_t(d)];
      const float *W = w.data() + d * G * H * I, *R = r.data() + d * G * H * H;
      for (int64_t b = 0; b < B; ++b)
        for (int64_t k = 0; k < H; ++k) {
          h[size_t(b * H + k)] = initialH.empty() ? 0.0f : initialH[stateAt(d, b) + size_t(k)];
          c[size_t(b * H + k)] = initialC.empty() ? 0.0f : initialC[stateAt(d, b) + size_t(k)];
        }
      for (int64_t step = 0; step < T; ++step) {
        int64_t t = reverse ? T - 1 - step : step;
        for (int64_t b = 0; b < B; ++b) {
          if (!s.lengths.empty() && t >= s.lengths[size_t(b)]) continue; // past its length
          float *hb = &h[size_t(b * H)], *cb = &c[size_t(b * H)];
          const float *xt = x.data() + xAt(t, b);
          for (int64_t j = 0; j < G * H; ++j) {
            double sx = bias.empty() ? 0.0 : bias[size_t(d * 2 * G * H + j)];
            double sh = bias.empty() ? 0.0 : bias[size_t(d * 2 * G * H + G * H + j)];
            for (int64_t i = 0; i < I; ++i) sx += double(W[j * I + i]) * xt[i];
            for (int64_t k = 0; k < H; ++k) sh += double(R[j * H + k]) * hb[k];
            xw[size_t(j)] = float(sx);
            hr[size_t(j)] = float(sh);
          }
          for (int64_t k = 0; k < H; ++k) {
            size_t u = size_t(k);
            if (s.cell == RecurrentCell::Rnn) {
              next[u] = activate(act[0], clip(xw[u] + hr[u]));
            } else if (s.cell == RecurrentCell::Gru) {
              float z = activate(act[0], clip(xw[u] + hr[u]));
              float rr = activate(act[0], clip(xw[u + size_t(H)] + hr[u + size_t(H)]));
              float candidate;
              if (s.linearBeforeReset) {
                candidate = xw[u + size_t(2 * H)] + rr * hr[u + size_t(2 * H)];
              } else {
                double sum = bias.empty() ? 0.0 : bias[size_t(d * 2 * G * H + G * H + 2 * H + k)];
                for (int64_t m = 0; m < H; ++m) {
                  float rm = activate(act[0], clip(xw[size_t(H + m)] + hr[size_t(H + m)]));
                  sum += double(R[(2 * H + k) * H + m]) * (rm * hb[m]);
                }
                candidate = xw[u + size_t(2 * H)] + float(sum);
              }
              float hh = activate(act[1], clip(candidate));
              next[u] = (1.0f - z) * hh + z * hb[k];
            } else {
              auto p = [&](int g) {
                return peep.empty() ? 0.0f : peep[size_t(d * 3 * H + g * H + k)];
              };
              float ig = activate(act[0], clip(xw[u] + hr[u] + p(0) * cb[k]));
              float fg = activate(
                  act[0], clip(xw[u + size_t(2 * H)] + hr[u + size_t(2 * H)] + p(2) * cb[k]));
              float cc = activate(act[1], clip(xw[u + size_t(3 * H)] + hr[u + size_t(3 * H)]));
              nextC[u] = fg * cb[k] + ig * cc;
              float og =
                  activate(act[0], clip(xw[u + size_t(H)] + hr[u + size_t(H)] + p(1) * nextC[u]));
              next[u] = og * activate(act[2], nextC[u]);
            }
          }
          std::copy(next.begin(), next.end(), hb);
          if (s.cell == RecurrentCell::Lstm) std::copy(nextC.begin(), nextC.end(), cb);
          std::copy(next.begin(), next.end(), y.begin() + yAt(t, d, b));
        }
      }
      for (size_t o = 1; o < outs.size(); ++o) {
        auto state = outs[o].getMutableData<float>();
        const std::vector<float> &from = o == 1 ? h : c;
        for (int64_t b = 0; b < B; ++b)
          std::copy_n(from.begin() + b * H, H, state.begin() + stateAt(d, b));
      }
    }
    return outs;
  }
};

} // namespace

std::unique_ptr<OpSchema> createRNNSchema() { return std::make_unique<RecurrentOp>("RNN", 6, 2); }
std::unique_ptr<OpSchema> createGRUSchema() { return std::make_unique<RecurrentOp>("GRU", 6, 2); }
std::unique_ptr<OpSchema> createLSTMSchema() { return std::make_unique<RecurrentOp>("LSTM", 8, 3); }

} // namespace spcc
