#include "daemon/engine/expression.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"
#include "daemon/core/strings.h"

namespace shequ::engine {

using json = nlohmann::json;

namespace internal {

enum class Op {
  kLiteral,   // value
  kVariable,  // name
  kMember,    // kids[0].name
  kIndex,     // kids[0][kids[1]]
  kArray,     // [kids...]
  kCall,      // name(kids...)
  kNot,
  kNeg,
  kMul,
  kDiv,
  kMod,
  kAdd,
  kSub,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kAnd,
  kOr,
  kCoalesce,  // kids[0] ?? kids[1]
};

struct ExprNode {
  Op op = Op::kLiteral;
  json value;
  std::string name;
  std::string source;  // this node's text, for evaluation errors
  int height = 1;      // longest path to a leaf; bounds evaluation recursion
  bool grouped = false;  // written in parentheses: may be mixed with `??`
  std::vector<std::unique_ptr<ExprNode>> kids;
};

}  // namespace internal

namespace {

using internal::ExprNode;
using internal::Op;

// ---------------------------------------------------------------------------------------------
// Lexer

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kIdent,
  kTrue,
  kFalse,
  kNull,
  kIn,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kDot,
  kComma,
  kNot,
  kMinus,
  kPlus,
  kStar,
  kSlash,
  kPercent,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kCoalesce,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t begin = 0;
  size_t end = 0;
  json value;  // number or string literal
};

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Length of the UTF-8 sequence starting with lead byte c (1 for stray bytes).
size_t Utf8Length(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(std::string_view text, int column_offset) : text_(text), column_offset_(column_offset) {}

  absl::StatusOr<std::unique_ptr<ExprNode>> Parse() {
    if (text_.size() > Expression::kMaxLength) {
      return absl::InvalidArgumentError(Cat("expression too long (", text_.size(),
                                            " bytes; the limit is ", Expression::kMaxLength, ")"));
    }
    RETURN_IF_ERROR(Lex());
    if (tokens_.front().kind == Tok::kEnd) {
      return absl::InvalidArgumentError("empty expression");
    }
    ASSIGN_OR_RETURN(auto root, ParseExpression());
    if (Peek().kind != Tok::kEnd) return Unexpected(Peek(), "expected an operator or the end");
    return root;
  }

 private:
  // 1-based column in characters, not bytes, so that Chinese text lines up.
  int Column(size_t offset) const {
    int column = 1 + column_offset_;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
    return column;
  }

  // "<what> at column N" or "<what> at column N: <detail>".
  absl::Status Error(size_t offset, std::string_view what, std::string_view detail = "") const {
    return absl::InvalidArgumentError(
        Cat(what, " at column ", Column(offset), detail.empty() ? "" : ": ", detail));
  }

  absl::Status Unexpected(const Token& t, std::string_view expected) const {
    if (t.kind == Tok::kEnd) return Error(t.begin, "unexpected end of expression", expected);
    std::string_view shown = text_.substr(t.begin, t.end - t.begin);
    if (shown.size() > 24) shown = shown.substr(0, 24);  // a long string literal
    return Error(t.begin, Cat("unexpected '", shown, "'"), expected);
  }

  // --- lexing ---

  absl::Status Lex() {
    size_t i = 0;
    const size_t n = text_.size();
    while (true) {
      while (i < n && absl::ascii_isspace(static_cast<unsigned char>(text_[i]))) ++i;
      Token t;
      t.begin = i;
      if (i >= n) {
        t.end = i;
        tokens_.push_back(std::move(t));
        return absl::OkStatus();
      }
      const char c = text_[i];
      const char next = i + 1 < n ? text_[i + 1] : '\0';
      auto two = [&](Tok kind) {
        t.kind = kind;
        i += 2;
      };
      auto one = [&](Tok kind) {
        t.kind = kind;
        i += 1;
      };
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        RETURN_IF_ERROR(LexNumber(&i, &t));
      } else if (c == '\'' || c == '"') {
        RETURN_IF_ERROR(LexString(&i, &t));
      } else if (IsIdentStart(c)) {
        while (i < n && IsIdentChar(text_[i])) ++i;
        const std::string_view word = text_.substr(t.begin, i - t.begin);
        t.kind = word == "true"    ? Tok::kTrue
                 : word == "false" ? Tok::kFalse
                 : word == "null"  ? Tok::kNull
                 : word == "in"    ? Tok::kIn
                                   : Tok::kIdent;
        if (t.kind == Tok::kIdent) t.value = std::string(word);
      } else if (c == '=' && next == '=') {
        two(Tok::kEq);
      } else if (c == '!' && next == '=') {
        two(Tok::kNe);
      } else if (c == '<' && next == '=') {
        two(Tok::kLe);
      } else if (c == '>' && next == '=') {
        two(Tok::kGe);
      } else if (c == '&' && next == '&') {
        two(Tok::kAnd);
      } else if (c == '|' && next == '|') {
        two(Tok::kOr);
      } else if (c == '?' && next == '?') {
        two(Tok::kCoalesce);
      } else if (c == '?') {
        return Error(i, "unexpected '?'", "did you mean '?\?'? (there is no `a ? b : c`)");
      } else if (c == '=' || c == '&' || c == '|') {
        return Error(i, Cat("unexpected '", std::string(1, c), "'"),
                     Cat("did you mean '", std::string(2, c), "'?"));
      } else if (c == '(') {
        one(Tok::kLParen);
      } else if (c == ')') {
        one(Tok::kRParen);
      } else if (c == '[') {
        one(Tok::kLBracket);
      } else if (c == ']') {
        one(Tok::kRBracket);
      } else if (c == '.') {
        one(Tok::kDot);
      } else if (c == ',') {
        one(Tok::kComma);
      } else if (c == '!') {
        one(Tok::kNot);
      } else if (c == '-') {
        one(Tok::kMinus);
      } else if (c == '+') {
        one(Tok::kPlus);
      } else if (c == '*') {
        one(Tok::kStar);
      } else if (c == '/') {
        one(Tok::kSlash);
      } else if (c == '%') {
        one(Tok::kPercent);
      } else if (c == '<') {
        one(Tok::kLt);
      } else if (c == '>') {
        one(Tok::kGt);
      } else {
        const size_t len = std::min(Utf8Length(static_cast<unsigned char>(c)), n - i);
        return Error(i, Cat("unexpected '", text_.substr(i, len), "'"),
                     "expected a value, a variable or an operator");
      }
      t.end = i;
      tokens_.push_back(std::move(t));
    }
  }

  absl::Status LexNumber(size_t* i, Token* t) {
    const size_t n = text_.size();
    size_t j = *i;
    bool is_float = false;
    while (j < n && absl::ascii_isdigit(static_cast<unsigned char>(text_[j]))) ++j;
    if (j + 1 < n && text_[j] == '.' &&
        absl::ascii_isdigit(static_cast<unsigned char>(text_[j + 1]))) {
      is_float = true;
      ++j;
      while (j < n && absl::ascii_isdigit(static_cast<unsigned char>(text_[j]))) ++j;
    }
    if (j < n && (text_[j] == 'e' || text_[j] == 'E')) {
      size_t k = j + 1;
      if (k < n && (text_[k] == '+' || text_[k] == '-')) ++k;
      if (k < n && absl::ascii_isdigit(static_cast<unsigned char>(text_[k]))) {
        is_float = true;
        j = k;
        while (j < n && absl::ascii_isdigit(static_cast<unsigned char>(text_[j]))) ++j;
      }
    }
    if (j < n && (IsIdentChar(text_[j]) || text_[j] == '.')) {
      size_t k = j;
      while (k < n && (IsIdentChar(text_[k]) || text_[k] == '.')) ++k;
      return Error(*i, Cat("invalid number '", text_.substr(*i, k - *i), "'"));
    }
    const std::string_view digits = text_.substr(*i, j - *i);
    t->kind = Tok::kNumber;
    if (is_float) {
      double d = 0;
      if (!absl::SimpleAtod(Sv(digits), &d) || !std::isfinite(d)) {
        return Error(*i, Cat("invalid number '", digits, "'"));
      }
      t->value = d;
    } else {
      int64_t v = 0;
      if (!absl::SimpleAtoi(Sv(digits), &v)) {
        return Error(*i, Cat("integer '", digits, "' is too large"));
      }
      t->value = v;
    }
    *i = j;
    return absl::OkStatus();
  }

  absl::Status LexString(size_t* i, Token* t) {
    const size_t n = text_.size();
    const char quote = text_[*i];
    std::string out;
    size_t j = *i + 1;
    while (true) {
      if (j >= n) return Error(*i, "unterminated string starting");
      const char c = text_[j];
      if (c == quote) break;
      if (c != '\\') {
        out.push_back(c);
        ++j;
        continue;
      }
      if (j + 1 >= n) return Error(*i, "unterminated string starting");
      const char e = text_[j + 1];
      switch (e) {
        case '\\':
          out.push_back('\\');
          break;
        case '\'':
          out.push_back('\'');
          break;
        case '"':
          out.push_back('"');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!ReadHex4(j + 2, &cp)) return Error(j, "bad \\u escape", "expected 4 hex digits");
          size_t consumed = 6;
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // UTF-16 surrogate pair, as in JSON
            uint32_t low = 0;
            if (j + 7 < n && text_[j + 6] == '\\' && text_[j + 7] == 'u' && ReadHex4(j + 8, &low) &&
                low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              consumed = 12;
            } else {
              return Error(j, "unpaired UTF-16 surrogate in \\u escape");
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error(j, "unpaired UTF-16 surrogate in \\u escape");
          }
          AppendUtf8(cp, &out);
          j += consumed;
          continue;
        }
        default: {
          const size_t len = std::min(Utf8Length(static_cast<unsigned char>(e)), n - j - 1);
          return Error(j, Cat("unknown escape '\\", text_.substr(j + 1, len), "'"),
                       "expected \\\\ \\' \\\" \\n \\r \\t or \\uXXXX");
        }
      }
      j += 2;
    }
    t->kind = Tok::kString;
    t->value = std::move(out);
    *i = j + 1;
    return absl::OkStatus();
  }

  bool ReadHex4(size_t at, uint32_t* out) const {
    if (at + 4 > text_.size()) return false;
    uint32_t v = 0;
    for (size_t k = at; k < at + 4; ++k) {
      const char c = text_[k];
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
      v = v * 16 + (absl::ascii_isdigit(static_cast<unsigned char>(c))
                        ? c - '0'
                        : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    *out = v;
    return true;
  }

  // --- parsing ---

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool Accept(Tok kind) {
    if (Peek().kind != kind) return false;
    Take();
    return true;
  }

  std::unique_ptr<ExprNode> Make(Op op, size_t begin, size_t end) {
    auto node = std::make_unique<ExprNode>();
    node->op = op;
    node->source = std::string(text_.substr(begin, end - begin));
    return node;
  }

  // Bounds the tree's height, not just the parser's recursion: a flat chain like 1+1+...+1 is a
  // left-deep tree, and evaluating it recurses once per operator.
  absl::StatusOr<std::unique_ptr<ExprNode>> Done(std::unique_ptr<ExprNode> node, size_t begin) {
    for (const auto& kid : node->kids) node->height = std::max(node->height, kid->height + 1);
    if (node->height > Expression::kMaxDepth) {
      return Error(begin, "expression nested too deeply",
                   Cat("the limit is ", Expression::kMaxDepth, " levels"));
    }
    return node;
  }

  absl::StatusOr<std::unique_ptr<ExprNode>> Binary(Op op, std::unique_ptr<ExprNode> l,
                                                   std::unique_ptr<ExprNode> r, size_t begin) {
    auto node = Make(op, begin, tokens_[pos_ - 1].end);
    node->kids.push_back(std::move(l));
    node->kids.push_back(std::move(r));
    return Done(std::move(node), begin);
  }

  // Every nested sub-expression passes through ParseExpression or a prefix operator.
  absl::Status Enter() {
    if (++depth_ > Expression::kMaxDepth) {
      return Error(Peek().begin, "expression nested too deeply",
                   Cat("the limit is ", Expression::kMaxDepth, " levels"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<ExprNode>> ParseExpression() {
    RETURN_IF_ERROR(Enter());
    ASSIGN_OR_RETURN(auto node, ParseBinary(1));
    --depth_;
    return node;
  }

  struct BinaryOp {
    int precedence;  // higher binds tighter
    Op op;
  };
  static constexpr int kEqualityPrecedence = 3;
  static constexpr int kRelationalPrecedence = 4;

  static std::optional<BinaryOp> BinaryOpOf(Tok kind) {
    switch (kind) {
      case Tok::kOr:
        return BinaryOp{1, Op::kOr};
      case Tok::kCoalesce:  // as in JavaScript: with ||; mixing needs parentheses
        return BinaryOp{1, Op::kCoalesce};
      case Tok::kAnd:
        return BinaryOp{2, Op::kAnd};
      case Tok::kEq:
        return BinaryOp{kEqualityPrecedence, Op::kEq};
      case Tok::kNe:
        return BinaryOp{kEqualityPrecedence, Op::kNe};
      case Tok::kLt:
        return BinaryOp{kRelationalPrecedence, Op::kLt};
      case Tok::kLe:
        return BinaryOp{kRelationalPrecedence, Op::kLe};
      case Tok::kGt:
        return BinaryOp{kRelationalPrecedence, Op::kGt};
      case Tok::kGe:
        return BinaryOp{kRelationalPrecedence, Op::kGe};
      case Tok::kIn:
        return BinaryOp{kRelationalPrecedence, Op::kIn};
      case Tok::kPlus:
        return BinaryOp{5, Op::kAdd};
      case Tok::kMinus:
        return BinaryOp{5, Op::kSub};
      case Tok::kStar:
        return BinaryOp{6, Op::kMul};
      case Tok::kSlash:
        return BinaryOp{6, Op::kDiv};
      case Tok::kPercent:
        return BinaryOp{6, Op::kMod};
      default:
        return std::nullopt;
    }
  }

  // Precedence climbing, left-associative. One frame per level of parentheses rather than one per
  // precedence level keeps the allowed nesting well inside small thread stacks.
  absl::StatusOr<std::unique_ptr<ExprNode>> ParseBinary(int min_precedence) {
    const size_t begin = Peek().begin;
    ASSIGN_OR_RETURN(auto left, ParseUnary());
    int comparison = 0;  // precedence of the comparison just applied, if the last op was one
    while (true) {
      const std::optional<BinaryOp> bin = BinaryOpOf(Peek().kind);
      if (!bin.has_value() || bin->precedence < min_precedence) return left;
      // `a < b < c` reads as a range test but would compare a boolean with c.
      if (bin->precedence == comparison) {
        return Unexpected(Peek(),
                          "comparisons do not chain; combine them with && or add parentheses");
      }
      const Token& op_token = Take();
      ASSIGN_OR_RETURN(auto right, ParseBinary(bin->precedence + 1));
      RETURN_IF_ERROR(CheckCoalesceMix(bin->op, *left, *right, op_token));
      ASSIGN_OR_RETURN(left, Binary(bin->op, std::move(left), std::move(right), begin));
      const bool is_comparison =
          bin->precedence == kEqualityPrecedence || bin->precedence == kRelationalPrecedence;
      comparison = is_comparison ? bin->precedence : 0;
    }
  }

  // As in JavaScript, `a ?? b || c` and `a && b ?? c` are refused: which operator applies first
  // is not obvious, so parentheses must say it.
  absl::Status CheckCoalesceMix(Op op, const ExprNode& left, const ExprNode& right,
                                const Token& op_token) const {
    auto is_logic = [](const ExprNode& n) {
      return !n.grouped && (n.op == Op::kAnd || n.op == Op::kOr);
    };
    auto is_coalesce = [](const ExprNode& n) { return !n.grouped && n.op == Op::kCoalesce; };
    const bool mixed = op == Op::kCoalesce ? is_logic(left) || is_logic(right)
                       : op == Op::kAnd || op == Op::kOr ? is_coalesce(left) || is_coalesce(right)
                                                         : false;
    if (!mixed) return absl::OkStatus();
    return Error(op_token.begin,
                 Cat("unexpected '", text_.substr(op_token.begin, op_token.end - op_token.begin),
                     "'"),
                 "'?\?' does not mix with '&&' or '||'; add parentheses");
  }

  absl::StatusOr<std::unique_ptr<ExprNode>> ParseUnary() {
    if (Peek().kind != Tok::kNot && Peek().kind != Tok::kMinus) return ParsePostfix();
    const size_t begin = Peek().begin;
    const Op op = Take().kind == Tok::kNot ? Op::kNot : Op::kNeg;
    RETURN_IF_ERROR(Enter());
    ASSIGN_OR_RETURN(auto operand, ParseUnary());
    --depth_;
    auto node = Make(op, begin, tokens_[pos_ - 1].end);
    node->kids.push_back(std::move(operand));
    return Done(std::move(node), begin);
  }

  absl::StatusOr<std::unique_ptr<ExprNode>> ParsePostfix() {
    const size_t begin = Peek().begin;
    ASSIGN_OR_RETURN(auto node, ParsePrimary());
    while (true) {
      if (Accept(Tok::kDot)) {
        const Token& name = Peek();
        // Keywords are fine as field names: `a.in`, `a.null`.
        if (name.kind != Tok::kIdent && name.kind != Tok::kTrue && name.kind != Tok::kFalse &&
            name.kind != Tok::kNull && name.kind != Tok::kIn) {
          return Unexpected(name, "expected a field name after '.'");
        }
        const std::string field(text_.substr(name.begin, name.end - name.begin));
        Take();
        auto member = Make(Op::kMember, begin, tokens_[pos_ - 1].end);
        member->name = field;
        member->kids.push_back(std::move(node));
        ASSIGN_OR_RETURN(node, Done(std::move(member), begin));
      } else if (Accept(Tok::kLBracket)) {
        ASSIGN_OR_RETURN(auto index, ParseExpression());
        if (!Accept(Tok::kRBracket)) return Unexpected(Peek(), "expected ']'");
        auto indexed = Make(Op::kIndex, begin, tokens_[pos_ - 1].end);
        indexed->kids.push_back(std::move(node));
        indexed->kids.push_back(std::move(index));
        ASSIGN_OR_RETURN(node, Done(std::move(indexed), begin));
      } else {
        return node;
      }
    }
  }

  absl::StatusOr<std::unique_ptr<ExprNode>> ParsePrimary() {
    const Token& t = Peek();
    const size_t begin = t.begin;
    switch (t.kind) {
      case Tok::kNumber:
      case Tok::kString:
      case Tok::kTrue:
      case Tok::kFalse:
      case Tok::kNull: {
        auto node = Make(Op::kLiteral, t.begin, t.end);
        node->value = t.kind == Tok::kTrue    ? json(true)
                      : t.kind == Tok::kFalse ? json(false)
                      : t.kind == Tok::kNull  ? json(nullptr)
                                              : t.value;
        Take();
        return node;
      }
      case Tok::kIdent: {
        const std::string name = t.value.get<std::string>();
        Take();
        if (Peek().kind == Tok::kLParen) return ParseCall(name, begin);
        auto node = Make(Op::kVariable, begin, tokens_[pos_ - 1].end);
        node->name = name;
        return node;
      }
      case Tok::kLParen: {
        Take();
        ASSIGN_OR_RETURN(auto inner, ParseExpression());
        if (!Accept(Tok::kRParen)) return Unexpected(Peek(), "expected ')'");
        inner->grouped = true;
        return inner;
      }
      case Tok::kLBracket: {
        Take();
        std::vector<std::unique_ptr<ExprNode>> items;
        if (!Accept(Tok::kRBracket)) {
          while (true) {
            ASSIGN_OR_RETURN(auto item, ParseExpression());
            items.push_back(std::move(item));
            if (Accept(Tok::kRBracket)) break;
            if (!Accept(Tok::kComma)) return Unexpected(Peek(), "expected ',' or ']'");
          }
        }
        auto node = Make(Op::kArray, begin, tokens_[pos_ - 1].end);
        node->kids = std::move(items);
        return Done(std::move(node), begin);
      }
      default:
        return Unexpected(t, "expected a value, a variable, '(' or '['");
    }
  }

  absl::StatusOr<std::unique_ptr<ExprNode>> ParseCall(const std::string& name, size_t begin) {
    if (name == "now" || name == "today") {
      return Error(begin, Cat(name, "() is not available"),
                   "expressions must give the same result on replay; pass the time in a variable");
    }
    if (name != "len") {
      return Error(begin, Cat("unknown function '", name, "'"), "available: len");
    }
    Take();  // '('
    std::vector<std::unique_ptr<ExprNode>> args;
    if (!Accept(Tok::kRParen)) {
      while (true) {
        ASSIGN_OR_RETURN(auto arg, ParseExpression());
        args.push_back(std::move(arg));
        if (Accept(Tok::kRParen)) break;
        if (!Accept(Tok::kComma)) return Unexpected(Peek(), "expected ',' or ')'");
      }
    }
    if (args.size() != 1) {
      return Error(begin, "wrong number of arguments to len()",
                   Cat("expected 1, got ", args.size()));
    }
    auto node = Make(Op::kCall, begin, tokens_[pos_ - 1].end);
    node->name = name;
    node->kids = std::move(args);
    return Done(std::move(node), begin);
  }

  std::string_view text_;
  int column_offset_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation

// A value that is either borrowed from the variables (no copy for paths) or owned.
class Val {
 public:
  static Val Ref(const json& j) {
    Val v;
    v.ref_ = &j;
    return v;
  }
  static Val Own(json j) {
    Val v;
    v.owned_ = std::move(j);
    return v;
  }
  const json& get() const { return ref_ != nullptr ? *ref_ : owned_; }
  bool borrowed() const { return ref_ != nullptr; }
  json Take() && { return ref_ != nullptr ? *ref_ : std::move(owned_); }

 private:
  const json* ref_ = nullptr;
  json owned_;
};

const json& NullJson() {
  static const json* const kNull = new json(nullptr);
  return *kNull;
}

std::string_view TypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::binary:
      return "binary";
    case json::value_t::discarded:
      return "discarded";
    default:
      return "number";
  }
}

// JSON text; invalid UTF-8 is replaced rather than thrown about.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

struct Num {
  bool is_int = true;
  int64_t i = 0;
  double d = 0;
  double AsDouble() const { return is_int ? static_cast<double>(i) : d; }
};

std::optional<Num> ToNum(const json& j) {
  Num n;
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    n.i = j.get<int64_t>();
  } else if (j.is_number_unsigned()) {
    // JSON parsing makes every non-negative integer unsigned.
    const uint64_t u = j.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      n.i = static_cast<int64_t>(u);
    } else {
      n.is_int = false;
      n.d = static_cast<double>(u);
    }
  } else if (j.is_number_float()) {
    n.is_int = false;
    n.d = j.get<double>();
  } else {
    return std::nullopt;
  }
  return n;
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kNeg:
      return "-";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "in";
    default:
      return "?";
  }
}

size_t Utf8Chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Evaluator {
 public:
  explicit Evaluator(const json& vars) : vars_(vars) {}

  absl::StatusOr<Val> Eval(const ExprNode& n) {
    switch (n.op) {
      case Op::kLiteral:
        return Val::Ref(n.value);
      case Op::kVariable: {
        if (!vars_.is_object()) return Val::Ref(NullJson());
        auto it = vars_.find(n.name);
        return Val::Ref(it == vars_.end() ? NullJson() : *it);
      }
      case Op::kMember: {
        ASSIGN_OR_RETURN(Val base, Eval(*n.kids[0]));
        return Field(std::move(base), n.name, n);
      }
      case Op::kIndex:
        return Index(n);
      case Op::kArray: {
        json out = json::array();
        for (const auto& kid : n.kids) {
          ASSIGN_OR_RETURN(Val v, Eval(*kid));
          out.push_back(std::move(v).Take());
        }
        return Val::Own(std::move(out));
      }
      case Op::kCall:
        return Len(n);
      case Op::kNot: {
        ASSIGN_OR_RETURN(Val v, Eval(*n.kids[0]));
        return Val::Own(!Expression::Truthy(v.get()));
      }
      case Op::kNeg:
        return Negate(n);
      case Op::kAnd:
      case Op::kOr: {
        ASSIGN_OR_RETURN(Val l, Eval(*n.kids[0]));
        const bool lt = Expression::Truthy(l.get());
        if (n.op == Op::kAnd ? !lt : lt) return Val::Own(lt);  // short circuit
        ASSIGN_OR_RETURN(Val r, Eval(*n.kids[1]));
        return Val::Own(Expression::Truthy(r.get()));
      }
      case Op::kCoalesce: {
        ASSIGN_OR_RETURN(Val l, Eval(*n.kids[0]));
        if (!l.get().is_null()) return l;
        return Eval(*n.kids[1]);
      }
      case Op::kEq:
      case Op::kNe: {
        ASSIGN_OR_RETURN(Val l, Eval(*n.kids[0]));
        ASSIGN_OR_RETURN(Val r, Eval(*n.kids[1]));
        const bool eq = l.get() == r.get();
        return Val::Own(n.op == Op::kEq ? eq : !eq);
      }
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        return Compare(n);
      case Op::kIn:
        return In(n);
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod:
      case Op::kAdd:
      case Op::kSub:
        return Arithmetic(n);
    }
    return absl::InternalError("unknown expression node");
  }

 private:
  static absl::Status Fail(const ExprNode& n, std::string_view what) {
    return absl::InvalidArgumentError(Cat(what, " in '", n.source, "'"));
  }

  static absl::Status NullOperand(const ExprNode& n, const ExprNode& operand) {
    return Fail(n, Cat("'", OpText(n.op), "' on null: '", operand.source, "' is null (not set?)"));
  }

  absl::StatusOr<Val> Field(Val base, const std::string& name, const ExprNode& n) {
    const json& b = base.get();
    if (b.is_null()) return Val::Ref(NullJson());
    if (!b.is_object()) {
      return Fail(
          n, Cat("cannot read field '", name, "' of ", TypeName(b), " '", n.kids[0]->source, "'"));
    }
    auto it = b.find(name);
    if (it == b.end()) return Val::Ref(NullJson());
    if (base.borrowed()) return Val::Ref(*it);
    return Val::Own(*it);
  }

  absl::StatusOr<Val> Index(const ExprNode& n) {
    ASSIGN_OR_RETURN(Val base, Eval(*n.kids[0]));
    ASSIGN_OR_RETURN(Val index, Eval(*n.kids[1]));
    const json& b = base.get();
    const json& i = index.get();
    if (i.is_string()) {
      if (b.is_null() || b.is_object()) return Field(std::move(base), i.get<std::string>(), n);
      return Fail(n, Cat("cannot read field \"", i.get<std::string>(), "\" of ", TypeName(b), " '",
                         n.kids[0]->source, "'"));
    }
    const std::optional<Num> num = ToNum(i);
    if (!num.has_value() || !num->is_int) {
      return Fail(n, Cat("index '", n.kids[1]->source, "' is ", TypeName(i),
                         ", not an integer or a string"));
    }
    if (b.is_null()) return Val::Ref(NullJson());
    if (!b.is_array()) {
      return Fail(n, Cat("cannot index ", TypeName(b), " '", n.kids[0]->source, "' by number"));
    }
    if (num->i < 0 || static_cast<uint64_t>(num->i) >= b.size()) return Val::Ref(NullJson());
    const json& element = b[static_cast<size_t>(num->i)];
    if (base.borrowed()) return Val::Ref(element);
    return Val::Own(element);
  }

  absl::StatusOr<Val> Len(const ExprNode& n) {
    ASSIGN_OR_RETURN(Val v, Eval(*n.kids[0]));
    const json& j = v.get();
    if (j.is_string())
      return Val::Own(static_cast<int64_t>(Utf8Chars(j.get_ref<const std::string&>())));
    if (j.is_array() || j.is_object()) return Val::Own(static_cast<int64_t>(j.size()));
    if (j.is_null()) return Val::Own(int64_t{0});
    return Fail(n, Cat("len() needs a string, array or object, got ", TypeName(j)));
  }

  absl::StatusOr<Val> Negate(const ExprNode& n) {
    ASSIGN_OR_RETURN(Val v, Eval(*n.kids[0]));
    const json& j = v.get();
    if (j.is_null()) return NullOperand(n, *n.kids[0]);
    const std::optional<Num> num = ToNum(j);
    if (!num.has_value()) return Fail(n, Cat("cannot negate ", TypeName(j)));
    if (!num->is_int) return Val::Own(-num->d);
    if (num->i == std::numeric_limits<int64_t>::min()) return Fail(n, "integer overflow");
    return Val::Own(-num->i);
  }

  absl::StatusOr<Val> Compare(const ExprNode& n) {
    ASSIGN_OR_RETURN(Val lv, Eval(*n.kids[0]));
    ASSIGN_OR_RETURN(Val rv, Eval(*n.kids[1]));
    const json& l = lv.get();
    const json& r = rv.get();
    int order = 0;  // <0, 0, >0
    const std::optional<Num> ln = ToNum(l);
    const std::optional<Num> rn = ToNum(r);
    if (ln.has_value() && rn.has_value()) {
      if (ln->is_int && rn->is_int) {
        order = ln->i < rn->i ? -1 : ln->i > rn->i ? 1 : 0;
      } else {
        const double a = ln->AsDouble();
        const double b = rn->AsDouble();
        order = a < b ? -1 : a > b ? 1 : 0;
      }
    } else if (l.is_string() && r.is_string()) {
      const int c = l.get_ref<const std::string&>().compare(r.get_ref<const std::string&>());
      order = c < 0 ? -1 : c > 0 ? 1 : 0;
    } else if (l.is_null()) {
      return NullOperand(n, *n.kids[0]);
    } else if (r.is_null()) {
      return NullOperand(n, *n.kids[1]);
    } else {
      return Fail(n, Cat("cannot compare ", TypeName(l), " with ", TypeName(r), " using '",
                         OpText(n.op), "'"));
    }
    switch (n.op) {
      case Op::kLt:
        return Val::Own(order < 0);
      case Op::kLe:
        return Val::Own(order <= 0);
      case Op::kGt:
        return Val::Own(order > 0);
      default:
        return Val::Own(order >= 0);
    }
  }

  absl::StatusOr<Val> In(const ExprNode& n) {
    ASSIGN_OR_RETURN(Val lv, Eval(*n.kids[0]));
    ASSIGN_OR_RETURN(Val rv, Eval(*n.kids[1]));
    const json& l = lv.get();
    const json& r = rv.get();
    if (r.is_null()) return Val::Own(false);
    if (r.is_array()) {
      for (const json& element : r) {
        if (element == l) return Val::Own(true);
      }
      return Val::Own(false);
    }
    if (r.is_string() || r.is_object()) {
      if (!l.is_string()) {
        return Fail(n, Cat("'in' ", TypeName(r), " needs a string on the left, got ", TypeName(l)));
      }
      const std::string& key = l.get_ref<const std::string&>();
      if (r.is_object()) return Val::Own(r.contains(key));
      return Val::Own(r.get_ref<const std::string&>().find(key) != std::string::npos);
    }
    return Fail(n, Cat("'in' needs an array, string or object on the right, got ", TypeName(r)));
  }

  absl::StatusOr<Val> Arithmetic(const ExprNode& n) {
    ASSIGN_OR_RETURN(Val lv, Eval(*n.kids[0]));
    ASSIGN_OR_RETURN(Val rv, Eval(*n.kids[1]));
    const json& l = lv.get();
    const json& r = rv.get();
    if (l.is_null()) return NullOperand(n, *n.kids[0]);
    if (r.is_null()) return NullOperand(n, *n.kids[1]);
    if (n.op == Op::kAdd) {
      if (l.is_string() && (r.is_string() || r.is_number())) {
        return Val::Own(l.get<std::string>() + (r.is_string() ? r.get<std::string>() : Dump(r)));
      }
      if (l.is_number() && r.is_string()) return Val::Own(Dump(l) + r.get<std::string>());
      if (l.is_array() && r.is_array()) {
        json out = std::move(lv).Take();
        for (const json& element : r) out.push_back(element);
        return Val::Own(std::move(out));
      }
    }
    const std::optional<Num> a = ToNum(l);
    const std::optional<Num> b = ToNum(r);
    if (!a.has_value() || !b.has_value()) {
      return Fail(n,
                  Cat("cannot apply '", OpText(n.op), "' to ", TypeName(l), " and ", TypeName(r)));
    }
    if (a->is_int && b->is_int) return IntArithmetic(n, a->i, b->i);
    const double x = a->AsDouble();
    const double y = b->AsDouble();
    double out = 0;
    switch (n.op) {
      case Op::kAdd:
        out = x + y;
        break;
      case Op::kSub:
        out = x - y;
        break;
      case Op::kMul:
        out = x * y;
        break;
      case Op::kDiv:
        if (y == 0) return Fail(n, "division by zero");
        out = x / y;
        break;
      default:
        if (y == 0) return Fail(n, "division by zero");
        out = std::fmod(x, y);
        break;
    }
    if (!std::isfinite(out)) return Fail(n, "result is too large");
    return Val::Own(out);
  }

  static absl::StatusOr<Val> IntArithmetic(const ExprNode& n, int64_t x, int64_t y) {
    int64_t out = 0;
    bool overflow = false;
    switch (n.op) {
      case Op::kAdd:
        overflow = __builtin_add_overflow(x, y, &out);
        break;
      case Op::kSub:
        overflow = __builtin_sub_overflow(x, y, &out);
        break;
      case Op::kMul:
        overflow = __builtin_mul_overflow(x, y, &out);
        break;
      case Op::kDiv:
        if (y == 0) return Fail(n, "division by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) return Fail(n, "integer overflow");
        if (x % y != 0) return Val::Own(static_cast<double>(x) / static_cast<double>(y));
        out = x / y;
        break;
      default:
        if (y == 0) return Fail(n, "division by zero");
        out = y == -1 ? 0 : x % y;  // INT64_MIN % -1 traps
        break;
    }
    if (overflow) return Fail(n, "integer overflow");
    return Val::Own(out);
  }

  const json& vars_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Expression

Expression::Expression(std::string text, std::shared_ptr<const internal::ExprNode> root)
    : text_(std::move(text)), root_(std::move(root)) {}

absl::StatusOr<Expression> Expression::Compile(std::string_view text) { return CompileAt(text, 0); }

absl::StatusOr<Expression> Expression::CompileAt(std::string_view text, int column_offset) {
  Parser parser(text, column_offset);
  ASSIGN_OR_RETURN(std::unique_ptr<ExprNode> root, parser.Parse());
  return Expression(std::string(text), std::shared_ptr<const ExprNode>(std::move(root)));
}

absl::StatusOr<json> Expression::Evaluate(const json& vars) const {
  Evaluator evaluator(vars);
  ASSIGN_OR_RETURN(Val v, evaluator.Eval(*root_));
  return std::move(v).Take();
}

absl::StatusOr<bool> Expression::EvaluateBool(const json& vars) const {
  Evaluator evaluator(vars);
  ASSIGN_OR_RETURN(Val v, evaluator.Eval(*root_));
  return Truthy(v.get());
}

bool Expression::Truthy(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return value.get<bool>();
    case json::value_t::number_integer:
      return value.get<int64_t>() != 0;
    case json::value_t::number_unsigned:
      return value.get<uint64_t>() != 0;
    case json::value_t::number_float:
      return value.get<double>() != 0;
    case json::value_t::string:
      return !value.get_ref<const std::string&>().empty();
    case json::value_t::array:
      return !value.empty();
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Template

absl::StatusOr<Template> Template::Compile(std::string_view text) {
  if (text.size() > kMaxLength) {
    return absl::InvalidArgumentError(
        Cat("template too long (", text.size(), " bytes; the limit is ", kMaxLength, ")"));
  }
  auto column = [&](size_t offset) {
    int c = 1;
    for (size_t i = 0; i < offset; ++i) c += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    return c;
  };
  Template t;
  t.text_ = std::string(text);
  size_t i = 0;
  std::string literal;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      literal.push_back(text[i++]);
      continue;
    }
    // Find the closing '}', skipping quoted strings: `${a["}"]}`.
    const size_t open = i;
    size_t j = i + 2;
    char quote = 0;
    for (; j < text.size(); ++j) {
      const char c = text[j];
      if (quote != 0) {
        if (c == '\\') {
          ++j;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '}') {
        break;
      }
    }
    if (j >= text.size()) {
      return absl::InvalidArgumentError(
          Cat("unterminated '${' at column ", column(open), ": expected '}'"));
    }
    const std::string_view inner = text.substr(open + 2, j - open - 2);
    if (absl::StripAsciiWhitespace(Sv(inner)).empty()) {
      return absl::InvalidArgumentError(
          Cat("empty '${}' at column ", column(open), ": expected an expression"));
    }
    ASSIGN_OR_RETURN(Expression expr, Expression::CompileAt(inner, column(open + 2) - 1));
    t.parts_.push_back(Part{std::move(literal), std::move(expr)});
    literal.clear();
    ++t.expressions_;
    i = j + 1;
  }
  t.single_ =
      t.expressions_ == 1 && t.parts_.size() == 1 && t.parts_[0].literal.empty() && literal.empty();
  if (!literal.empty() || t.parts_.empty()) t.parts_.push_back(Part{std::move(literal), {}});
  return t;
}

absl::StatusOr<json> Template::Evaluate(const json& vars) const {
  if (single_) return parts_[0].expr->Evaluate(vars);
  std::string out;
  for (const Part& part : parts_) {
    out += part.literal;
    if (!part.expr.has_value()) continue;
    ASSIGN_OR_RETURN(json v, part.expr->Evaluate(vars));
    if (v.is_string()) {
      out += v.get_ref<const std::string&>();
    } else if (!v.is_null()) {
      out += Dump(v);
    }
  }
  return out;
}

}  // namespace shequ::engine
