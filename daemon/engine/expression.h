#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace shequ::engine {

namespace internal {
struct ExprNode;
}  // namespace internal

// The definitions' small, safe expression language, evaluated over an instance's variables (a
// JSON object). Compiled once at deploy; evaluation is pure: no clock, no I/O, no side effects.
//
//   literals     1  -2  1.5  2e3  'text'  "text"  true  false  null  [1, 'a']
//                strings take \\ \' \" \n \r \t \uXXXX escapes
//   paths        a  a.b  a.b[0]  a["key"]  a[i + 1]
//   operators    by binding, loosest first:
//                || ??   &&   == !=   < <= > >= in   + -   * / %   unary ! -
//                (`??` as in JavaScript: as loose as ||, and it does not mix with && or ||
//                without parentheses, so `a ?? b || c` is refused; `n ?? 0 + 1` is n ?? (0 + 1))
//   functions    len(x): characters of a string, elements of an array or object; 0 for null
//
// Semantics:
// - An unset variable or field, a missing key and an out-of-range index are null, so
//   `x == null` works; reading a field of a number, string or boolean is an error.
// - Arithmetic on null is an error naming the path. Integers stay integers (overflow is an
//   error); `/` gives a double when the division is not exact. Division by zero is an error.
// - `+` also joins strings (a number joins as its JSON text) and arrays.
// - `==`/`!=` compare any values (1 == 1.0). `<` etc. compare two numbers or two strings
//   (bytewise, i.e. by code point); anything else is an error, never just false. Comparisons do
//   not chain: `a < b < c` is refused at compile time.
// - `&&`/`||` short-circuit and give booleans; `!` negates truthiness. False, null, 0, "" and []
//   are falsy; everything else (including {}) is truthy.
// - `x in y`: element of an array, substring of a string, key of an object; false when y is null.
// - `a ?? b`: a, unless a is null (unset) — then b, evaluated only then: `revisions ?? 0`.
//
// Limits: kMaxLength bytes of text and kMaxDepth levels of nesting, where each operator of a chain
// like a + b + c also counts as a level (evaluation recurses once per level). Copies share the
// compiled tree; a compiled Expression is immutable and may be evaluated from several threads.
class Expression {
 public:
  static constexpr size_t kMaxLength = 4096;
  static constexpr int kMaxDepth = 200;

  // Errors name the column (in characters, from 1) and what was expected, e.g.
  // "unexpected ')' at column 12: expected a value, a variable, '(' or '['".
  static absl::StatusOr<Expression> Compile(std::string_view text);

  absl::StatusOr<nlohmann::json> Evaluate(const nlohmann::json& vars) const;
  // Evaluate, then Truthy.
  absl::StatusOr<bool> EvaluateBool(const nlohmann::json& vars) const;

  std::string text() const { return text_; }

  static bool Truthy(const nlohmann::json& value);

 private:
  friend class Template;
  Expression(std::string text, std::shared_ptr<const internal::ExprNode> root);
  // Columns in errors are shifted by column_offset (for expressions inside a Template).
  static absl::StatusOr<Expression> CompileAt(std::string_view text, int column_offset);

  std::string text_;
  std::shared_ptr<const internal::ExprNode> root_;
};

// A string field of a definition with `${expr}` parts, e.g. "第${round}轮: ${name}".
// If the whole text is exactly one `${expr}`, Evaluate gives expr's typed value (a number stays a
// number, an array stays an array). Otherwise it gives a string, each part's value interpolated:
// strings without quotes, null as nothing, other values as JSON text. There is no escape for a
// literal "${"; an unterminated "${" is a compile error.
class Template {
 public:
  static constexpr size_t kMaxLength = 65536;

  static absl::StatusOr<Template> Compile(std::string_view text);

  absl::StatusOr<nlohmann::json> Evaluate(const nlohmann::json& vars) const;
  // No `${…}` parts: Evaluate always gives text() as a string.
  bool IsConstant() const { return expressions_ == 0; }
  std::string text() const { return text_; }

 private:
  struct Part {
    std::string literal;             // text before expr (or the trailing text)
    std::optional<Expression> expr;  // absent for trailing text
  };
  Template() = default;

  std::string text_;
  std::vector<Part> parts_;
  int expressions_ = 0;
  bool single_ = false;  // the whole text is one `${expr}`
};

}  // namespace shequ::engine
