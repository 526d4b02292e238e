//===- Recurrent.h - What RNN, GRU and LSTM nodes compute ----------------===//
//
// The three recurrent ops share their inputs (X, W, R, B, sequence_lens, initial_h; LSTM adds
// initial_c and the peepholes P) and attributes. Their schemas (Recurrent.cpp) check them and
// evaluate the cells step by step; the expand-recurrent pass rewrites each node into the
// per-step MatMul, Add, Slice and activation nodes the backends run, with the input projection
// of every step as one MatMul against the constant weights (sparse code for pruned W).
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_OPS_RECURRENT_H
#define SPCC_OPS_RECURRENT_H

#include "compiler/ir/Node.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace spcc {

enum class RecurrentCell { Rnn, Gru, Lstm };

/// Input positions of the recurrent ops.
enum RecurrentInput : size_t {
  kRecurrentX = 0,
  kRecurrentW = 1,
  kRecurrentR = 2,
  kRecurrentB = 3,
  kRecurrentSequenceLens = 4,
  kRecurrentInitialH = 5,
  kRecurrentInitialC = 6, ///< LSTM only
  kRecurrentPeepholes = 7 ///< LSTM only
};

/// A recurrent node's attributes and dims, checked.
struct RecurrentShape {
  RecurrentCell cell = RecurrentCell::Rnn;
  int gates = 1;           ///< 1 (RNN), 3 (GRU: z, r, h), 4 (LSTM: i, o, f, c)
  int64_t hidden = 0;      ///< H
  int directions = 1;      ///< 2 when bidirectional
  bool reverse = false;    ///< direction "reverse" (the second direction of a bidirectional one is)
  int64_t steps = 0;       ///< T
  int64_t batch = 0;       ///< B
  int64_t inputSize = 0;   ///< I
  bool batchMajor = false; ///< layout 1: X [B, T, I], Y [B, T, D, H], Y_h [B, D, H]
  bool linearBeforeReset = false; ///< GRU
  /// Each batch entry's sequence length where sequence_lens gives one shorter than T (empty
  /// when every sequence is full length).
  std::vector<int64_t> lengths;
  bool hasClip = false;
  float clip = 0;
  /// Per direction, the cell's activations by their ONNX names: f, g (GRU, LSTM), h (LSTM).
  std::vector<std::vector<std::string>> activations;
};

RecurrentCell recurrentCellOf(const Node &node);

/// Reads and checks \p node's attributes and input dims (and that sequence_lens, when given,
/// is known, each length within [0, T]).
llvm::Expected<RecurrentShape> readRecurrentShape(const Node &node, const Tensor *sequenceLens);

/// The activations spcc runs in a recurrent cell (ONNX names; those taking alpha / beta are
/// refused when named).
bool isSupportedRecurrentActivation(const std::string &name);

} // namespace spcc

#endif
