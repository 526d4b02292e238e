#include "compiler/ir/IRLexer.h"

#include "llvm/ADT/StringExtras.h"

namespace spcc {

static bool isNameChar(char c) { return llvm::isAlnum(c) || c == '_' || c == '.'; }

void Lexer::skipSpaceAndComments() {
  while (pos < buffer.size()) {
    char c = buffer[pos];
    if (c == '\n') {
      ++pos;
      ++line;
      lineStart = pos;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++pos;
    } else if (c == '/' && peek(1) == '/') {
      while (pos < buffer.size() && buffer[pos] != '\n') ++pos;
    } else {
      return;
    }
  }
}

Token Lexer::make(TokenKind kind, size_t start) {
  Token t;
  t.kind = kind;
  t.text = buffer.slice(start, pos);
  t.line = tokenLine;
  t.column = tokenColumn;
  return t;
}

Token Lexer::error(size_t start, std::string message) {
  Token t = make(TokenKind::Error, start);
  t.value = std::move(message);
  return t;
}

Token Lexer::next() {
  skipSpaceAndComments();
  size_t start = pos;
  tokenLine = line;
  tokenColumn = unsigned(pos - lineStart + 1);
  if (pos >= buffer.size()) return make(TokenKind::Eof, start);

  char c = buffer[pos];
  auto single = [&](TokenKind kind) {
    ++pos;
    return make(kind, start);
  };
  switch (c) {
  case '(': return single(TokenKind::LParen);
  case ')': return single(TokenKind::RParen);
  case '{': return single(TokenKind::LBrace);
  case '}': return single(TokenKind::RBrace);
  case '[': return single(TokenKind::LBracket);
  case ']': return single(TokenKind::RBracket);
  case '<': return single(TokenKind::Less);
  case '>': return single(TokenKind::Greater);
  case ',': return single(TokenKind::Comma);
  case ':': return single(TokenKind::Colon);
  case '=': return single(TokenKind::Equal);
  case '"': return lexString(start, TokenKind::String);
  case '%': return lexName(start, TokenKind::ValueName);
  case '@': return lexName(start, TokenKind::SymbolName);
  default: break;
  }
  if (c == '-' || llvm::isDigit(c)) return lexNumber(start);
  if (llvm::isAlpha(c) || c == '_') {
    while (isNameChar(peek())) ++pos;
    return make(TokenKind::Identifier, start);
  }
  ++pos;
  if (llvm::isPrint(c)) return error(start, std::string("unexpected character '") + c + "'");
  return error(start, "unexpected byte 0x" + llvm::utohexstr(uint8_t(c), /*LowerCase=*/true, 2));
}

Token Lexer::lexString(size_t start, TokenKind kind) {
  ++pos; // the opening quote
  std::string decoded;
  while (true) {
    char c = peek();
    if (pos >= buffer.size() || c == '\n') return error(start, "unterminated string");
    ++pos;
    if (c == '"') break;
    if (c != '\\') {
      decoded += c;
      continue;
    }
    char escape = peek();
    ++pos;
    switch (escape) {
    case '"': decoded += '"'; break;
    case '\\': decoded += '\\'; break;
    case 'n': decoded += '\n'; break;
    case 't': decoded += '\t'; break;
    case 'x':
      if (llvm::isHexDigit(peek()) && llvm::isHexDigit(peek(1))) {
        decoded += char(llvm::hexDigitValue(peek()) * 16 + llvm::hexDigitValue(peek(1)));
        pos += 2;
        break;
      }
      return error(start, "\\x in a string must be followed by two hex digits");
    default: return error(start, std::string("unknown escape '\\") + escape + "' in a string");
    }
  }
  Token t = make(kind, start);
  t.value = std::move(decoded);
  return t;
}

Token Lexer::lexName(size_t start, TokenKind kind) {
  char sigil = buffer[pos++];
  if (peek() == '"') return lexString(start, kind);
  size_t nameStart = pos;
  while (isNameChar(peek())) ++pos;
  if (pos == nameStart) return error(start, std::string("expected a name after '") + sigil + "'");
  Token t = make(kind, start);
  t.value = buffer.slice(nameStart, pos).str();
  return t;
}

Token Lexer::lexNumber(size_t start) {
  if (peek() == '-') ++pos;
  if (llvm::isAlpha(peek())) { // -inf, -nan
    size_t wordStart = pos;
    while (isNameChar(peek())) ++pos;
    llvm::StringRef word = buffer.slice(wordStart, pos);
    if (word == "inf" || word == "nan") return make(TokenKind::Float, start);
    return error(start, "unexpected '-' before '" + word.str() + "'");
  }
  if (!llvm::isDigit(peek())) return error(start, "expected a digit after '-'");
  bool isFloat = false;
  while (llvm::isDigit(peek())) ++pos;
  if (peek() == '.') {
    isFloat = true;
    ++pos;
    while (llvm::isDigit(peek())) ++pos;
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (llvm::isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && llvm::isDigit(peek(2))))) {
    isFloat = true;
    pos += 2;
    while (llvm::isDigit(peek())) ++pos;
  }
  if (isNameChar(peek())) {
    while (isNameChar(peek())) ++pos;
    return error(start, "malformed number '" + buffer.slice(start, pos).str() + "'");
  }
  return make(isFloat ? TokenKind::Float : TokenKind::Integer, start);
}

} // namespace spcc
