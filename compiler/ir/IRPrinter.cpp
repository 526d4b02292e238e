#include "compiler/ir/IRPrinter.h"

#include "llvm/ADT/StringExtras.h"

#include <charconv>
#include <cmath>

namespace spcc {

bool isPlainName(llvm::StringRef name) {
  return !name.empty() &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_' || c == '.'; });
}

namespace {

/// A string literal: `"` ... `"` with \" \\ \n \t and \xHH escapes for other control bytes.
void printQuoted(llvm::raw_ostream &os, llvm::StringRef text) {
  os << '"';
  for (unsigned char c : text) {
    switch (c) {
    case '"': os << "\\\""; break;
    case '\\': os << "\\\\"; break;
    case '\n': os << "\\n"; break;
    case '\t': os << "\\t"; break;
    default:
      if (c < 0x20 || c == 0x7f)
        os << "\\x" << llvm::hexdigit(c >> 4) << llvm::hexdigit(c & 15);
      else
        os << c;
    }
  }
  os << '"';
}

/// A name after '%' or '@': bare when plain, quoted otherwise.
void printName(llvm::raw_ostream &os, char sigil, llvm::StringRef name) {
  os << sigil;
  if (isPlainName(name))
    os << name;
  else
    printQuoted(os, name);
}

/// An attribute key: bare when it reads as an identifier.
void printKey(llvm::raw_ostream &os, llvm::StringRef key) {
  if (isPlainName(key) && !llvm::isDigit(key.front()))
    os << key;
  else
    printQuoted(os, key);
}

/// The shortest text that reads back as the same float, with a '.' or an exponent.
void printFloat(llvm::raw_ostream &os, float value) {
  if (std::isnan(value)) {
    os << "nan";
    return;
  }
  if (std::isinf(value)) {
    os << (value < 0 ? "-inf" : "inf");
    return;
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  llvm::StringRef text(buffer, size_t(result.ptr - buffer));
  os << text;
  if (text.find_first_of(".e") == llvm::StringRef::npos) os << ".0";
}

void printElement(llvm::raw_ostream &os, const Tensor &t, int64_t i) {
  switch (t.getDType()) {
  case DType::Float32:
  case DType::Float16: printFloat(os, float(t.getAsDouble(i))); break;
  case DType::Bool: os << (t.getAsInt(i) ? "true" : "false"); break;
  default: os << t.getAsInt(i); break;
  }
}

/// `[e0, e1, ...]`, flat in row-major order, or `elided<nnz=N>` when too large.
void printTensorData(llvm::raw_ostream &os, const Tensor &t, const PrintOptions &opts) {
  int64_t n = t.getNumElements();
  if (opts.elideConstantsAbove >= 0 && n > opts.elideConstantsAbove) {
    os << "elided<nnz=" << t.countNonZeros() << ">";
    return;
  }
  os << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (i) os << ", ";
    printElement(os, t, i);
  }
  os << ']';
}

template <typename T, typename PrintOne>
void printList(llvm::raw_ostream &os, const std::vector<T> &items, PrintOne printOne) {
  os << '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) os << ", ";
    printOne(items[i]);
  }
  os << ']';
}

void printAttribute(llvm::raw_ostream &os, const Attribute &attr, const PrintOptions &opts) {
  std::visit(
      [&](const auto &value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          os << value;
        } else if constexpr (std::is_same_v<T, float>) {
          printFloat(os, value);
        } else if constexpr (std::is_same_v<T, std::string>) {
          printQuoted(os, value);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          printList(os, value, [&](int64_t v) { os << v; });
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          printList(os, value, [&](float v) { printFloat(os, v); });
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          printList(os, value, [&](const std::string &s) { printQuoted(os, s); });
        } else {
          static_assert(std::is_same_v<T, Tensor>, "unhandled attribute kind");
          os << "tensor<" << value.getType().str() << ' ';
          printTensorData(os, value, opts);
          os << '>';
        }
      },
      attr);
}

void printValueRef(llvm::raw_ostream &os, const Value *v) {
  if (v)
    printName(os, '%', v->getName());
  else
    os << '_';
}

/// `%name: type`.
void printDefinition(llvm::raw_ostream &os, const Value &v) {
  printName(os, '%', v.getName());
  os << ": " << v.getType().str();
}

} // namespace

void printNode(const Node &node, llvm::raw_ostream &os, const PrintOptions &opts) {
  llvm::ListSeparator resultSep;
  for (const Value *out : node.getOutputs()) {
    os << resultSep;
    printDefinition(os, *out);
  }
  if (node.getNumOutputs()) os << " = ";
  os << node.getOpType() << '(';
  llvm::ListSeparator inputSep;
  for (const Value *in : node.getInputs()) {
    os << inputSep;
    printValueRef(os, in);
  }
  os << ')';
  if (!node.getAttributes().empty()) {
    os << " {";
    llvm::ListSeparator attrSep;
    for (const auto &[key, value] : node.getAttributes()) {
      os << attrSep;
      printKey(os, key);
      os << " = ";
      printAttribute(os, value, opts);
    }
    os << '}';
  }
  if (!node.getName().empty()) {
    os << " @";
    printQuoted(os, node.getName());
  }
}

void printGraph(const Graph &g, llvm::raw_ostream &os, const PrintOptions &opts) {
  os << "graph ";
  printName(os, '@', g.getName());
  os << '(';
  llvm::ListSeparator inputSep;
  for (const Value *in : g.getInputs()) {
    os << inputSep;
    printDefinition(os, *in);
  }
  os << ") {\n";
  for (const Value *v : g.getValues()) {
    if (!v->isConstant()) continue;
    os << "  ";
    printDefinition(os, *v);
    os << " = constant ";
    printTensorData(os, v->getConstant(), opts);
    os << '\n';
  }
  for (const Node *node : g.getNodes()) {
    os << "  ";
    printNode(*node, os, opts);
    os << '\n';
  }
  os << "  return";
  if (!g.getOutputs().empty()) os << ' ';
  llvm::ListSeparator outputSep;
  for (const GraphOutput &out : g.getOutputs()) {
    os << outputSep;
    printValueRef(os, out.value);
    os << " as ";
    printQuoted(os, out.name);
  }
  os << "\n}\n";
}

std::string graphToString(const Graph &g, const PrintOptions &opts) {
  std::string text;
  llvm::raw_string_ostream os(text);
  printGraph(g, os, opts);
  return text;
}

} // namespace spcc
