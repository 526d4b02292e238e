//===- Einsum.cpp - Einstein summation -----------------------------------===//
#include "compiler/ops/Einsum.h"

#include "compiler/ops/OpHelpers.h"
#include "compiler/ops/OpSchema.h"

#include <algorithm>
#include <cctype>

namespace spcc {
namespace {

/// One side of the equation ("b...ij"): its letters, and where its ellipsis is (-1: none).
struct Term {
  std::vector<EinsumLabel> letters;
  int ellipsisAt = -1;
};

llvm::Expected<Term> parseTerm(const Node &node, llvm::StringRef text) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      term.letters.push_back(c);
    } else if (text.substr(i).starts_with("...") && term.ellipsisAt < 0) {
      term.ellipsisAt = int(term.letters.size());
      i += 2;
    } else {
      return nodeError(node, ErrorCode::BadModel,
                       "equation term '" + text + "' has an unexpected '" + llvm::Twine(c) +
                           "' (expected letters and at most one '...')");
    }
  }
  return term;
}

/// \p term's labels for an operand of rank \p rank whose ellipsis covers the rightmost axes of
/// the \p ellipsisRank the equation's ellipsis stands for.
std::vector<EinsumLabel> labelsOf(const Term &term, int64_t ellipsisAxes, int64_t ellipsisRank) {
  std::vector<EinsumLabel> labels(term.letters.begin(), term.letters.end());
  if (term.ellipsisAt >= 0) {
    std::vector<EinsumLabel> dots;
    for (int64_t k = ellipsisRank - ellipsisAxes; k < ellipsisRank; ++k)
      dots.push_back(kEllipsisLabel + int(k));
    labels.insert(labels.begin() + term.ellipsisAt, dots.begin(), dots.end());
  }
  return labels;
}

std::string labelName(EinsumLabel label) {
  return label >= kEllipsisLabel ? "... axis " + std::to_string(label - kEllipsisLabel)
                                 : "'" + std::string(1, char(label)) + "'";
}

} // namespace

llvm::Expected<EinsumEquation> parseEinsum(const Node &node) {
  std::string equation;
  for (char c : node.getString("equation", "")) // ONNX's reference evaluation ignores spaces
    if (c != ' ') equation.push_back(c);
  if (equation.empty())
    return nodeError(node, ErrorCode::BadModel, "attribute 'equation' is missing or empty");
  llvm::StringRef text(equation);
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = text.contains("->");
  llvm::SmallVector<llvm::StringRef, 4> termTexts;
  lhs.split(termTexts, ',');
  if (termTexts.size() != node.getNumInputs())
    return nodeError(node, ErrorCode::BadModel,
                     "equation '" + equation + "' has " + llvm::Twine(termTexts.size()) +
                         " operands, the node " + llvm::Twine(node.getNumInputs()) + " inputs");

  std::vector<Term> terms;
  int64_t ellipsisRank = 0;
  std::vector<int64_t> ellipsisAxes;
  for (size_t i = 0; i < termTexts.size(); ++i) {
    if (auto err = expectInputDType(node, i, {DType::Float32})) return std::move(err);
    auto term = parseTerm(node, termTexts[i]);
    if (!term) return term.takeError();
    int64_t rank = node.getInput(i)->getType().getRank();
    int64_t letters = int64_t(term->letters.size());
    if (term->ellipsisAt < 0 ? rank != letters : rank < letters)
      return nodeError(node, ErrorCode::Shape,
                       "equation term '" + termTexts[i] + "' does not fit input " + llvm::Twine(i) +
                           " of shape " + node.getInput(i)->getType().str());
    ellipsisAxes.push_back(rank - letters);
    ellipsisRank = std::max(ellipsisRank, rank - letters);
    terms.push_back(std::move(*term));
  }

  EinsumEquation eq;
  std::map<EinsumLabel, int> occurrences;
  for (size_t i = 0; i < terms.size(); ++i) {
    eq.inputs.push_back(labelsOf(terms[i], ellipsisAxes[i], ellipsisRank));
    llvm::ArrayRef<int64_t> dims = node.getInput(i)->getType().getDims();
    for (size_t a = 0; a < dims.size(); ++a) {
      EinsumLabel label = eq.inputs[i][a];
      ++occurrences[label];
      auto [it, fresh] = eq.extents.emplace(label, dims[a]);
      if (fresh || it->second == dims[a]) continue;
      // Ellipsis axes broadcast as numpy's do; letters must agree.
      bool broadcast = label >= kEllipsisLabel && (it->second == 1 || dims[a] == 1);
      if (!broadcast)
        return nodeError(node, ErrorCode::Shape,
                         "label " + labelName(label) + " has extent " + llvm::Twine(dims[a]) +
                             " in input " + llvm::Twine(i) + " but " + llvm::Twine(it->second) +
                             " elsewhere");
      it->second = std::max(it->second, dims[a]);
    }
  }

  if (explicitOutput) {
    auto term = parseTerm(node, rhs);
    if (!term) return term.takeError();
    bool anyEllipsis = llvm::any_of(terms, [](const Term &t) { return t.ellipsisAt >= 0; });
    if (term->ellipsisAt >= 0 && !anyEllipsis && ellipsisRank > 0)
      return nodeError(node, ErrorCode::BadModel, "the output has '...' but no input does");
    eq.output = labelsOf(*term, ellipsisRank, ellipsisRank);
    // Without '...' in the output, the ellipsis axes are summed over (numpy's rule).
    std::map<EinsumLabel, int> seen;
    for (EinsumLabel label : eq.output) {
      if (!eq.extents.count(label))
        return nodeError(node, ErrorCode::BadModel,
                         "output label " + labelName(label) + " appears in no input");
      if (seen[label]++)
        return nodeError(node, ErrorCode::BadModel,
                         "output label " + labelName(label) + " appears twice");
    }
  } else {
    // Implicit output: the ellipsis axes, then the letters that appear once, in sorted order.
    for (int64_t k = 0; k < ellipsisRank; ++k) eq.output.push_back(kEllipsisLabel + int(k));
    for (auto [label, count] : occurrences)
      if (label < kEllipsisLabel && count == 1) eq.output.push_back(label);
  }
  return eq;
}

namespace {

/// Einsum-12: one output, the sum over every label not in the output of the product of the
/// operands' elements at each label's index.
class EinsumOp : public OpSchema {
public:
  EinsumOp() : OpSchema("Einsum", 1, -1) {}

  llvm::Expected<TypeList> inferTypes(const Node &node, KnownInputs) const override {
    auto eq = parseEinsum(node);
    if (!eq) return eq.takeError();
    Dims dims;
    for (EinsumLabel label : eq->output) dims.push_back(eq->extents.at(label));
    TensorType type(DType::Float32, dims);
    if (!type.hasRepresentableSize())
      return nodeError(node, ErrorCode::Shape, "the output " + type.str() + " is too large");
    return TypeList{type};
  }

  llvm::Expected<TensorList> evaluate(const Node &node,
                                      llvm::ArrayRef<Tensor> inputs) const override {
    auto eq = parseEinsum(node);
    if (!eq) return eq.takeError();
    // Every label as one loop index: the output's first, then the summed ones. An operand's
    // offset is the sum of its labels' strides (a repeated label reads the diagonal; an axis of
    // extent 1 under a broadcast label has stride 0).
    std::vector<EinsumLabel> loops = eq->output;
    for (auto &[label, extent] : eq->extents)
      if (!llvm::is_contained(loops, label)) loops.push_back(label);
    std::vector<int64_t> extents;
    for (EinsumLabel label : loops) extents.push_back(eq->extents.at(label));
    std::vector<std::vector<int64_t>> strides(inputs.size(), std::vector<int64_t>(loops.size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      Dims inStrides = stridesOf(inputs[i].getDims());
      for (size_t a = 0; a < eq->inputs[i].size(); ++a) {
        if (inputs[i].getDims()[a] == 1) continue;
        size_t loop = size_t(llvm::find(loops, eq->inputs[i][a]) - loops.begin());
        strides[i][loop] += inStrides[a];
      }
    }
    Tensor out(node.getOutput(0)->getType());
    auto y = out.getMutableData<float>();
    int64_t summed = 1;
    for (size_t l = eq->output.size(); l < loops.size(); ++l) summed *= extents[l];
    std::vector<const float *> data;
    for (const Tensor &in : inputs) data.push_back(in.getData<float>().data());
    std::vector<int64_t> index(loops.size(), 0), offset(inputs.size(), 0);
    for (int64_t o = 0; o < int64_t(y.size()); ++o) {
      double sum = 0;
      for (int64_t s = 0; s < summed; ++s) {
        double product = 1;
        for (size_t i = 0; i < inputs.size(); ++i) product *= data[i][offset[i]];
        sum += product;
        // Advance the odometer (the last loop fastest), updating each operand's offset.
        for (size_t l = loops.size(); l-- > 0;) {
          for (size_t i = 0; i < inputs.size(); ++i) offset[i] += strides[i][l];
          if (++index[l] < extents[l]) break;
          for (size_t i = 0; i < inputs.size(); ++i) offset[i] -= strides[i][l] * extents[l];
          index[l] = 0;
        }
      }
      y[size_t(o)] = float(sum);
    }
    return TensorList{out};
  }
};

} // namespace

std::unique_ptr<OpSchema> createEinsumSchema() { return std::make_unique<EinsumOp>(); }

} // namespace spcc
