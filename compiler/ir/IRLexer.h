//===- IRLexer.h - Tokens of the IR text form ----------------------------===//
#ifndef SPCC_IR_IRLEXER_H
#define SPCC_IR_IRLEXER_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace spcc {

enum class TokenKind {
  Eof,
  Error,      ///< A malformed token; Token::value holds the message.
  Identifier, ///< [A-Za-z_][A-Za-z0-9_.]*: keywords, op names, dtypes, attribute keys.
  Integer,    ///< -?[0-9]+
  Float,      ///< -?[0-9]+ with a '.' or an exponent, or -inf / -nan (bare inf and nan are
              ///< identifiers).
  String,     ///< "..." with escapes; Token::value holds the decoded bytes.
  ValueName,  ///< %name or %"name"; Token::value holds the name.
  SymbolName, ///< @name or @"name"; Token::value holds the name.
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Less,
  Greater,
  Comma,
  Colon,
  Equal,
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text; ///< The token's bytes in the buffer.
  std::string value;    ///< See TokenKind.
  unsigned line = 1;    ///< 1-based.
  unsigned column = 1;  ///< 1-based, in bytes.

  bool is(TokenKind k) const { return kind == k; }
  bool isKeyword(llvm::StringRef word) const {
    return kind == TokenKind::Identifier && text == word;
  }
};

/// Splits the IR text into tokens, skipping whitespace and `//` comments. Never fails: a
/// malformed token comes back as TokenKind::Error, after which the parser stops.
class Lexer {
public:
  explicit Lexer(llvm::StringRef buffer) : buffer(buffer) {}
  Token next();

private:
  void skipSpaceAndComments();
  Token make(TokenKind kind, size_t start);
  Token error(size_t start, std::string message);
  Token lexString(size_t start, TokenKind kind);
  Token lexName(size_t start, TokenKind kind);
  Token lexNumber(size_t start);
  char peek(size_t ahead = 0) const {
    return pos + ahead < buffer.size() ? buffer[pos + ahead] : '\0';
  }

  llvm::StringRef buffer;
  size_t pos = 0;
  unsigned line = 1;
  size_t lineStart = 0;
  unsigned tokenLine = 1, tokenColumn = 1;
};

} // namespace spcc

#endif
