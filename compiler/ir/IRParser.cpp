#include "compiler/ir/IRParser.h"

#include "compiler/eval/TypeInference.h"
#include "compiler/ir/IRLexer.h"
#include "compiler/ops/OpSchema.h"
#include "compiler/support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

namespace spcc {
namespace {

/// Float32 to IEEE half, rounding to nearest even (values from f16 data convert exactly).
uint16_t floatToHalf(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint32_t sign = (bits >> 16) & 0x8000u;
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return uint16_t(sign | 0x7e00u);  // NaN
  if (magnitude >= 0x477ff000u) return uint16_t(sign | 0x7c00u); // >= 65520 rounds to infinity
  if (magnitude < 0x38800000u) {                                 // below 2^-14: subnormal half
    float units = std::nearbyint(std::bit_cast<float>(magnitude) * 16777216.0f); // 2^24
    return uint16_t(sign | uint32_t(units));
  }
  uint32_t half = ((((magnitude >> 23) - 127 + 15) << 10) | ((magnitude & 0x7fffffu) >> 13));
  uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) ++half; // a carry bumps the exponent
  return uint16_t(sign | half);
}

std::string describe(const Token &t) {
  return t.is(TokenKind::Eof) ? std::string("end of input") : "'" + t.text.str() + "'";
}

struct Location {
  unsigned line = 0, column = 0;
};

/// `%name: type` where a value is defined.
struct Definition {
  Token token;
  TensorType type;
};

/// Recursive-descent parser over the Lexer's tokens, with one token of lookahead. Builds the
/// graph as it goes; the first error ends the parse.
class Parser {
public:
  Parser(llvm::StringRef text, llvm::StringRef bufferName)
      : bufferName(bufferName), lexer(text), graph(std::make_unique<Graph>()) {
    advance();
  }

  llvm::Expected<std::unique_ptr<Graph>> parse();

private:
  void advance() { tok = lexer.next(); }
  llvm::Error errorAt(const Token &at, const llvm::Twine &message) const;
  llvm::Error expected(const llvm::Twine &what) const {
    return errorAt(tok, "expected " + what + ", found " + describe(tok));
  }
  llvm::Error consume(TokenKind kind, llvm::StringRef what) {
    if (!tok.is(kind)) return expected(what);
    advance();
    return llvm::Error::success();
  }
  bool consumeIf(TokenKind kind) {
    if (!tok.is(kind)) return false;
    advance();
    return true;
  }

  llvm::Error parseHeader();
  llvm::Error parseStatement();
  llvm::Error parseNode(const Location &start, const std::vector<Definition> &results);
  llvm::Error parseReturn();
  llvm::Error checkTypes();
  llvm::Expected<Definition> parseDefinition();
  llvm::Expected<TensorType> parseType();
  llvm::Expected<Value *> parseValueRef();
  llvm::Expected<Attribute> parseAttributeValue();
  llvm::Expected<Attribute> parseList();
  llvm::Expected<Tensor> parseTensorData(const TensorType &type);
  llvm::Error parseElement(DType dtype, std::vector<uint8_t> &bytes);
  llvm::Expected<int64_t> integerValue(const Token &t) const;
  llvm::Expected<float> floatValue(const Token &t) const;
  static bool isFloatLiteral(const Token &t) {
    return t.is(TokenKind::Float) || t.isKeyword("inf") || t.isKeyword("nan");
  }

  std::string bufferName;
  Lexer lexer;
  Token tok;
  std::unique_ptr<Graph> graph;
  llvm::DenseMap<const Node *, Location> nodeLocations;
};

llvm::Error Parser::errorAt(const Token &at, const llvm::Twine &message) const {
  // At a malformed token, the lexer's account of it is the useful message.
  std::string text = at.is(TokenKind::Error) ? at.value : message.str();
  return makeError(ErrorCode::BadModel, bufferName + ":" + llvm::Twine(at.line) + ":" +
                                            llvm::Twine(at.column) + ": " + text);
}

llvm::Expected<std::unique_ptr<Graph>> Parser::parse() {
  if (auto err = parseHeader()) return std::move(err);
  while (!tok.isKeyword("return")) {
    if (tok.is(TokenKind::RBrace) || tok.is(TokenKind::Eof))
      return expected("'return' before the end of the graph");
    if (auto err = parseStatement()) return std::move(err);
  }
  if (auto err = parseReturn()) return std::move(err);
  if (auto err = consume(TokenKind::RBrace, "',' or '}'")) return std::move(err);
  if (!tok.is(TokenKind::Eof)) return expected("end of input after the graph");
  if (auto err = checkTypes()) return std::move(err);
  return std::move(graph);
}

llvm::Error Parser::parseHeader() {
  if (!tok.isKeyword("graph")) return expected("'graph'");
  advance();
  if (!tok.is(TokenKind::SymbolName)) return expected("the graph's name, like @main");
  graph->setName(tok.value);
  advance();
  if (auto err = consume(TokenKind::LParen, "'('")) return err;
  if (!tok.is(TokenKind::RParen)) {
    do {
      auto def = parseDefinition();
      if (!def) return def.takeError();
      graph->addInput(def->token.value, def->type);
    } while (consumeIf(TokenKind::Comma));
  }
  if (auto err = consume(TokenKind::RParen, "',' or ')'")) return err;
  return consume(TokenKind::LBrace, "'{'");
}

llvm::Expected<Definition> Parser::parseDefinition() {
  if (!tok.is(TokenKind::ValueName)) return expected("a value name like %x");
  Definition def{tok, {}};
  if (graph->findValue(tok.value)) return errorAt(tok, "value " + tok.text + " is already defined");
  advance();
  if (auto err = consume(TokenKind::Colon, "':' and the value's type")) return std::move(err);
  auto type = parseType();
  if (!type) return type.takeError();
  def.type = std::move(*type);
  return def;
}

llvm::Expected<TensorType> Parser::parseType() {
  if (!tok.is(TokenKind::Identifier)) return expected("a type like f32[1,4]");
  std::optional<DType> dtype = parseDType(tok.text);
  if (!dtype)
    return errorAt(tok, "unknown element type '" + tok.text +
                            "' (expected f32, f16, i64, i32, i8, u8 or bool)");
  advance();
  if (auto err = consume(TokenKind::LBracket, "'[' and the dims")) return std::move(err);
  llvm::SmallVector<int64_t, 4> dims;
  int64_t elements = 1;
  if (!tok.is(TokenKind::RBracket)) {
    do {
      auto dim = integerValue(tok);
      if (!dim) return dim.takeError();
      if (*dim < 0) return errorAt(tok, "a dim must not be negative");
      if (*dim && elements > std::numeric_limits<int64_t>::max() / *dim)
        return errorAt(tok, "the type has too many elements");
      elements *= *dim;
      dims.push_back(*dim);
      advance();
    } while (consumeIf(TokenKind::Comma));
  }
  if (auto err = consume(TokenKind::RBracket, "',' or ']'")) return std::move(err);
  return TensorType(*dtype, dims);
}

llvm::Error Parser::parseStatement() {
  Location start{tok.line, tok.column};
  std::vector<Definition> results;
  if (tok.is(TokenKind::ValueName)) {
    llvm::StringSet<> names;
    do {
      auto def = parseDefinition();
      if (!def) return def.takeError();
      if (!names.insert(def->token.value).second)
        return errorAt(def->token, "value " + def->token.text + " is already defined");
      results.push_back(std::move(*def));
    } while (consumeIf(TokenKind::Comma));
    if (auto err = consume(TokenKind::Equal, "',' or '='")) return err;
  }
  if (!tok.isKeyword("constant")) return parseNode(start, results);
  if (results.size() != 1) return errorAt(tok, "a constant defines exactly one value");
  advance();
  auto data = parseTensorData(results[0].type);
  if (!data) return data.takeError();
  graph->addConstant(results[0].token.value, std::move(*data));
  return llvm::Error::success();
}

llvm::Error Parser::parseNode(const Location &start, const std::vector<Definition> &results) {
  if (!tok.is(TokenKind::Identifier)) return expected("an op name or 'constant'");
  std::string opType = tok.text.str();
  const OpSchema *schema = lookupOpSchema(opType);
  if (!schema) return errorAt(tok, "unknown op '" + opType + "'");
  advance();

  if (auto err = consume(TokenKind::LParen, "'(' and the op's inputs")) return err;
  llvm::SmallVector<Value *, 4> inputs;
  if (!tok.is(TokenKind::RParen)) {
    do {
      if (tok.isKeyword("_")) { // an omitted optional input
        inputs.push_back(nullptr);
        advance();
        continue;
      }
      auto input = parseValueRef();
      if (!input) return input.takeError();
      inputs.push_back(*input);
    } while (consumeIf(TokenKind::Comma));
  }
  if (auto err = consume(TokenKind::RParen, "',' or ')'")) return err;

  std::map<std::string, Attribute> attributes;
  if (consumeIf(TokenKind::LBrace)) {
    do {
      if (!tok.is(TokenKind::Identifier) && !tok.is(TokenKind::String))
        return expected("an attribute name");
      std::string key = tok.is(TokenKind::String) ? tok.value : tok.text.str();
      if (attributes.count(key)) return errorAt(tok, "attribute '" + key + "' is given twice");
      advance();
      if (auto err = consume(TokenKind::Equal, "'='")) return err;
      auto value = parseAttributeValue();
      if (!value) return value.takeError();
      attributes.emplace(std::move(key), std::move(*value));
    } while (consumeIf(TokenKind::Comma));
    if (auto err = consume(TokenKind::RBrace, "',' or '}'")) return err;
  }

  std::string nodeName;
  if (tok.is(TokenKind::SymbolName)) {
    nodeName = tok.value;
    advance();
  }

  std::vector<std::string> outputNames;
  for (const Definition &def : results) outputNames.push_back(def.token.value);
  Node *node = graph->addNode(nodeName, opType, schema, inputs, outputNames);
  for (size_t i = 0; i < results.size(); ++i) node->getOutput(i)->setType(results[i].type);
  for (auto &[key, value] : attributes) node->setAttribute(key, std::move(value));
  nodeLocations[node] = start;
  return llvm::Error::success();
}

llvm::Expected<Value *> Parser::parseValueRef() {
  if (!tok.is(TokenKind::ValueName)) return expected("a value like %x");
  Value *v = graph->findValue(tok.value);
  if (!v)
    return errorAt(tok, "undefined value " + tok.text + " (values are defined before their use)");
  advance();
  return v;
}

llvm::Error Parser::parseReturn() {
  advance(); // 'return'
  if (!tok.is(TokenKind::ValueName)) return llvm::Error::success();
  do {
    auto v = parseValueRef();
    if (!v) return v.takeError();
    if (!tok.isKeyword("as")) return expected("'as' and the output's name");
    advance();
    if (!tok.is(TokenKind::String)) return expected("the output's name as a string");
    graph->addOutput(tok.value, *v);
    advance();
  } while (consumeIf(TokenKind::Comma));
  return llvm::Error::success();
}

llvm::Expected<Attribute> Parser::parseAttributeValue() {
  if (tok.is(TokenKind::Integer)) {
    auto v = integerValue(tok);
    if (!v) return v.takeError();
    advance();
    return Attribute(*v);
  }
  if (isFloatLiteral(tok)) {
    auto v = floatValue(tok);
    if (!v) return v.takeError();
    advance();
    return Attribute(*v);
  }
  if (tok.is(TokenKind::String)) {
    Attribute value(tok.value);
    advance();
    return value;
  }
  if (tok.is(TokenKind::LBracket)) return parseList();
  if (!tok.isKeyword("tensor")) return expected("an attribute value");
  advance();
  if (auto err = consume(TokenKind::Less, "'<' after 'tensor'")) return std::move(err);
  auto type = parseType();
  if (!type) return type.takeError();
  auto data = parseTensorData(*type);
  if (!data) return data.takeError();
  if (auto err = consume(TokenKind::Greater, "'>'")) return std::move(err);
  return Attribute(std::move(*data));
}

/// `[...]` of ints, floats (ints mixed in are converted) or strings; `[]` is an empty int list.
llvm::Expected<Attribute> Parser::parseList() {
  advance(); // '['
  std::vector<Token> items;
  if (!tok.is(TokenKind::RBracket)) {
    do {
      if (!tok.is(TokenKind::Integer) && !tok.is(TokenKind::String) && !isFloatLiteral(tok))
        return expected("a number or a string");
      items.push_back(tok);
      advance();
    } while (consumeIf(TokenKind::Comma));
  }
  if (auto err = consume(TokenKind::RBracket, "',' or ']'")) return std::move(err);

  bool anyString = llvm::any_of(items, [](const Token &t) { return t.is(TokenKind::String); });
  if (anyString) {
    std::vector<std::string> strings;
    for (const Token &t : items) {
      if (!t.is(TokenKind::String)) return errorAt(t, "a list mixes strings and numbers");
      strings.push_back(t.value);
    }
    return Attribute(std::move(strings));
  }
  if (llvm::all_of(items, [](const Token &t) { return t.is(TokenKind::Integer); })) {
    std::vector<int64_t> ints;
    for (const Token &t : items) {
      auto v = integerValue(t);
      if (!v) return v.takeError();
      ints.push_back(*v);
    }
    return Attribute(std::move(ints));
  }
  std::vector<float> floats;
  for (const Token &t : items) {
    auto v = floatValue(t);
    if (!v) return v.takeError();
    floats.push_back(*v);
  }
  return Attribute(std::move(floats));
}

llvm::Expected<Tensor> Parser::parseTensorData(const TensorType &type) {
  if (tok.isKeyword("elided"))
    return errorAt(tok, "the data of this constant was elided when the text was printed; print "
                        "it with elideConstantsAbove = -1 to parse it back");
  Token open = tok;
  if (auto err = consume(TokenKind::LBracket, "'[' and the tensor's elements"))
    return std::move(err);
  int64_t expectedCount = type.getNumElements(), count = 0;
  std::vector<uint8_t> bytes;
  bytes.reserve(size_t(std::min<int64_t>(expectedCount, 1 << 20)) * dtypeSize(type.getDType()));
  if (!tok.is(TokenKind::RBracket)) {
    do {
      if (count == expectedCount)
        return errorAt(tok, "too many elements for " + type.str() + ", which has " +
                                llvm::Twine(expectedCount));
      if (auto err = parseElement(type.getDType(), bytes)) return std::move(err);
      ++count;
    } while (consumeIf(TokenKind::Comma));
  }
  if (auto err = consume(TokenKind::RBracket, "',' or ']'")) return std::move(err);
  if (count != expectedCount)
    return errorAt(open, type.str() + " has " + llvm::Twine(expectedCount) + " elements, but " +
                             llvm::Twine(count) + " are given");
  return Tensor(type, bytes);
}

llvm::Error Parser::parseElement(DType dtype, std::vector<uint8_t> &bytes) {
  auto append = [&](auto value) {
    const auto *p = reinterpret_cast<const uint8_t *>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(value));
  };
  if (dtype == DType::Float32 || dtype == DType::Float16) {
    auto v = floatValue(tok);
    if (!v) return v.takeError();
    if (dtype == DType::Float32)
      append(*v);
    else
      append(floatToHalf(*v));
  } else if (dtype == DType::Bool) {
    if (tok.isKeyword("true") || tok.text == "1")
      append(uint8_t(1));
    else if (tok.isKeyword("false") || tok.text == "0")
      append(uint8_t(0));
    else
      return expected("true or false");
  } else {
    auto v = integerValue(tok);
    if (!v) return v.takeError();
    auto fits = [&](auto zero) {
      using T = decltype(zero);
      return *v >= int64_t(std::numeric_limits<T>::min()) &&
             *v <= int64_t(std::numeric_limits<T>::max());
    };
    bool ok = dtype == DType::Int64 || (dtype == DType::Int32 && fits(int32_t())) ||
              (dtype == DType::Int8 && fits(int8_t())) ||
              (dtype == DType::UInt8 && fits(uint8_t()));
    if (!ok) return errorAt(tok, tok.text + " does not fit in " + dtypeName(dtype));
    switch (dtype) {
    case DType::Int32: append(int32_t(*v)); break;
    case DType::Int8: append(int8_t(*v)); break;
    case DType::UInt8: append(uint8_t(*v)); break;
    default: append(*v); break;
    }
  }
  advance();
  return llvm::Error::success();
}

llvm::Expected<int64_t> Parser::integerValue(const Token &t) const {
  if (!t.is(TokenKind::Integer)) return errorAt(t, "expected an integer, found " + describe(t));
  int64_t v = 0;
  if (t.text.getAsInteger(10, v)) return errorAt(t, "integer " + t.text + " is out of range");
  return v;
}

llvm::Expected<float> Parser::floatValue(const Token &t) const {
  if (!t.is(TokenKind::Integer) && !isFloatLiteral(t))
    return errorAt(t, "expected a number, found " + describe(t));
  float v = 0;
  auto [end, ec] = std::from_chars(t.text.begin(), t.text.end(), v);
  if (ec == std::errc::result_out_of_range)
    return errorAt(t, "float " + t.text + " is out of range");
  if (ec != std::errc() || end != t.text.end()) return errorAt(t, "malformed float " + t.text);
  return v;
}

/// Checks the declared types against the shape rules; an error names the node's line.
llvm::Error Parser::checkTypes() {
  const Node *current = nullptr;
  TypeInferenceHooks hooks;
  hooks.beforeNode = [&](Node &node) {
    current = &node;
    return llvm::Error::success();
  };
  llvm::Error err = inferGraphTypes(*graph, TypeInferenceMode::Check, hooks);
  if (!err) return err;
  ErrorCode code = ErrorCode::Internal;
  std::string message = takeMessage(std::move(err), &code);
  // Check mode reports a disagreeing type as a compiler bug; in parsed text it is the text's.
  if (code == ErrorCode::Internal) code = ErrorCode::Shape;
  std::string where = bufferName;
  if (current) {
    Location loc = nodeLocations.lookup(current);
    where += ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
  }
  return makeError(code, where + ": " + message);
}

} // namespace

llvm::Expected<std::unique_ptr<Graph>> parseGraph(llvm::StringRef text,
                                                  llvm::StringRef bufferName) {
  return Parser(text, bufferName).parse();
}

} // namespace spcc
