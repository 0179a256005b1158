#include "daemon/engine/expression.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shequ::engine {
namespace {

using json = nlohmann::json;

json Eval(std::string_view text, const json& vars = json::object()) {
  auto expr = Expression::Compile(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status();
  if (!expr.ok()) return "<compile error>";
  auto value = expr->Evaluate(vars);
  EXPECT_TRUE(value.ok()) << text << ": " << value.status();
  if (!value.ok()) return "<evaluation error>";
  return *value;
}

std::string CompileError(std::string_view text) {
  auto expr = Expression::Compile(text);
  EXPECT_FALSE(expr.ok()) << text << " compiled";
  if (expr.ok()) return "";
  EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(expr.status().message());
}

std::string EvalError(std::string_view text, const json& vars = json::object()) {
  auto expr = Expression::Compile(text);
  EXPECT_TRUE(expr.ok()) << text << ": " << expr.status();
  if (!expr.ok()) return "";
  auto value = expr->Evaluate(vars);
  EXPECT_FALSE(value.ok()) << text << " gave " << value->dump();
  if (value.ok()) return "";
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(value.status().message());
}

::testing::AssertionResult Has(const std::string& s, const std::string& part) {
  if (s.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << s << "' does not contain '" << part << "'";
}

const json kVars = json::parse(R"({
  "outcome": "approved", "posts": 3, "vacancies": 5, "name": "张三", "round": 2,
  "score": 87.5, "tags": ["urgent", "street"], "empty": [], "flag": true, "nothing": null,
  "unit": {"id": "u-12", "head": {"name": "李四"}, "in": 1},
  "matrix": [[1, 2], [3, 4]], "i": 1, "key": "id", "zero": 0, "text": ""
})");

// ---------------------------------------------------------------------------------------------
// Literals and paths

TEST(ExpressionTest, Literals) {
  EXPECT_EQ(Eval("42"), json(42));
  EXPECT_TRUE(Eval("42").is_number_integer());
  EXPECT_EQ(Eval("1.5"), json(1.5));
  EXPECT_EQ(Eval("2e3"), json(2000.0));
  EXPECT_TRUE(Eval("2e3").is_number_float());
  EXPECT_EQ(Eval("'single'"), json("single"));
  EXPECT_EQ(Eval("\"double\""), json("double"));
  EXPECT_EQ(Eval("'中文'"), json("中文"));
  EXPECT_EQ(Eval("true"), json(true));
  EXPECT_EQ(Eval("false"), json(false));
  EXPECT_EQ(Eval("null"), json(nullptr));
  EXPECT_EQ(Eval("[1, 'a', [true], null]"), json::parse(R"([1, "a", [true], null])"));
  EXPECT_EQ(Eval("[]"), json::array());
  EXPECT_EQ(Eval("-7"), json(-7));
  EXPECT_EQ(Eval("9223372036854775807"), json(int64_t{9223372036854775807}));
}

TEST(ExpressionTest, StringEscapes) {
  EXPECT_EQ(Eval(R"('it\'s')"), json("it's"));
  EXPECT_EQ(Eval(R"("say \"hi\"")"), json("say \"hi\""));
  EXPECT_EQ(Eval(R"('a\\b')"), json("a\\b"));
  EXPECT_EQ(Eval(R"('a\nb\tc')"), json("a\nb\tc"));
  EXPECT_EQ(Eval(R"('\u4e2d')"), json("中"));
  EXPECT_EQ(Eval(R"('\ud83d\ude00')"), json("\xF0\x9F\x98\x80"));
  EXPECT_EQ(Eval(R"("it's")"), json("it's"));
}

TEST(ExpressionTest, Paths) {
  EXPECT_EQ(Eval("posts", kVars), json(3));
  EXPECT_EQ(Eval("unit.id", kVars), json("u-12"));
  EXPECT_EQ(Eval("unit.head.name", kVars), json("李四"));
  EXPECT_EQ(Eval("tags[0]", kVars), json("urgent"));
  EXPECT_EQ(Eval("matrix[1][0]", kVars), json(3));
  EXPECT_EQ(Eval("unit[\"id\"]", kVars), json("u-12"));
  EXPECT_EQ(Eval("unit['head'].name", kVars), json("李四"));
  EXPECT_EQ(Eval("tags[i]", kVars), json("street"));
  EXPECT_EQ(Eval("tags[i - 1]", kVars), json("urgent"));
  EXPECT_EQ(Eval("unit[key]", kVars), json("u-12"));
  EXPECT_EQ(Eval("matrix[i][i]", kVars), json(4));
  EXPECT_EQ(Eval("unit.in", kVars), json(1));  // keywords work as field names
  EXPECT_EQ(Eval("[10, 20, 30][2]"), json(30));
  EXPECT_EQ(Eval("(unit).id", kVars), json("u-12"));
}

TEST(ExpressionTest, MissingValuesAreNull) {
  EXPECT_EQ(Eval("missing", kVars), json(nullptr));
  EXPECT_EQ(Eval("missing.deeper[3].x", kVars), json(nullptr));
  EXPECT_EQ(Eval("unit.nope", kVars), json(nullptr));
  EXPECT_EQ(Eval("tags[5]", kVars), json(nullptr));
  EXPECT_EQ(Eval("tags[-1]", kVars), json(nullptr));
  EXPECT_EQ(Eval("missing == null", kVars), json(true));
  EXPECT_EQ(Eval("nothing == null", kVars), json(true));
  EXPECT_EQ(Eval("posts == null", kVars), json(false));
  EXPECT_EQ(Eval("missing != null", kVars), json(false));
  // Variables that are not an object: everything is unset.
  EXPECT_EQ(Eval("a == null", json(nullptr)), json(true));
  EXPECT_EQ(Eval("a", json::array({1})), json(nullptr));
}

TEST(ExpressionTest, BadPathsAreErrors) {
  EXPECT_TRUE(Has(EvalError("posts.count", kVars), "cannot read field 'count' of number 'posts'"));
  EXPECT_TRUE(Has(EvalError("name.x", kVars), "of string 'name'"));
  EXPECT_TRUE(Has(EvalError("tags['x']", kVars), "cannot read field \"x\" of array 'tags'"));
  EXPECT_TRUE(Has(EvalError("unit[0]", kVars), "cannot index object 'unit' by number"));
  EXPECT_TRUE(Has(EvalError("tags[1.5]", kVars), "index '1.5' is number"));
  EXPECT_TRUE(Has(EvalError("tags[null]", kVars), "index 'null' is null"));
}

// ---------------------------------------------------------------------------------------------
// Operators

TEST(ExpressionTest, Precedence) {
  EXPECT_EQ(Eval("1 + 2 * 3"), json(7));
  EXPECT_EQ(Eval("(1 + 2) * 3"), json(9));
  EXPECT_EQ(Eval("10 - 4 - 3"), json(3));  // left-associative
  EXPECT_EQ(Eval("2 * 3 % 4"), json(2));
  EXPECT_EQ(Eval("100 / 10 / 5"), json(2));
  EXPECT_EQ(Eval("-2 * 3"), json(-6));
  EXPECT_EQ(Eval("- -2"), json(2));
  EXPECT_EQ(Eval("2 - -2"), json(4));
  EXPECT_EQ(Eval("1 + 2 == 3"), json(true));
  EXPECT_EQ(Eval("1 < 2 == 2 < 3"), json(true));          // relational binds tighter than equality
  EXPECT_EQ(Eval("true || false && false"), json(true));  // && binds tighter than ||
  EXPECT_EQ(Eval("(true || false) && false"), json(false));
  EXPECT_EQ(Eval("!true || true"), json(true));
  EXPECT_EQ(Eval("!(true || true)"), json(false));
  EXPECT_EQ(Eval("!!posts", kVars), json(true));
  EXPECT_EQ(Eval("'urgent' in tags && posts < 4", kVars), json(true));
  EXPECT_EQ(Eval("1 + 1 in [2]"), json(true));  // arithmetic before `in`
  EXPECT_EQ(Eval("outcome == 'approved' && posts <= vacancies", kVars), json(true));
  EXPECT_EQ(Eval("outcome == 'rejected' || posts > vacancies", kVars), json(false));
}

TEST(ExpressionTest, IntegerArithmeticStaysInteger) {
  // JSON parsing makes non-negative integers unsigned; they must still act as integers.
  const json sum = Eval("posts + vacancies", kVars);
  EXPECT_EQ(sum, json(8));
  EXPECT_TRUE(sum.is_number_integer());
  EXPECT_TRUE(Eval("posts * 2 - 10", kVars).is_number_integer());
  EXPECT_EQ(Eval("posts * 2 - 10", kVars), json(-4));
  EXPECT_EQ(Eval("6 / 3"), json(2));
  EXPECT_TRUE(Eval("6 / 3").is_number_integer());
  EXPECT_EQ(Eval("7 / 2"), json(3.5));
  EXPECT_TRUE(Eval("7 / 2").is_number_float());
  EXPECT_EQ(Eval("-7 / 2"), json(-3.5));
  EXPECT_EQ(Eval("7 % 3"), json(1));
  EXPECT_EQ(Eval("-7 % 3"), json(-1));  // sign of the dividend, as in C
  EXPECT_EQ(Eval("score + 1", kVars), json(88.5));
  EXPECT_EQ(Eval("score * 2", kVars), json(175.0));
  EXPECT_EQ(Eval("5.5 % 2"), json(1.5));
  EXPECT_EQ(Eval("0.5 + 0.25"), json(0.75));
}

TEST(ExpressionTest, ArithmeticErrors) {
  EXPECT_TRUE(Has(EvalError("1 / 0"), "division by zero in '1 / 0'"));
  EXPECT_TRUE(Has(EvalError("1 % 0"), "division by zero"));
  EXPECT_TRUE(Has(EvalError("1.5 / 0"), "division by zero"));
  EXPECT_TRUE(Has(EvalError("posts / zero", kVars), "division by zero in 'posts / zero'"));
  EXPECT_TRUE(Has(EvalError("9223372036854775807 + 1"), "integer overflow"));
  EXPECT_TRUE(Has(EvalError("-9223372036854775807 - 2"), "integer overflow"));
  EXPECT_TRUE(Has(EvalError("4611686018427387904 * 2"), "integer overflow"));
  EXPECT_TRUE(Has(EvalError("1e308 * 10"), "too large"));
  EXPECT_TRUE(Has(EvalError("true + 1"), "cannot apply '+' to boolean and number"));
  EXPECT_TRUE(Has(EvalError("tags * 2", kVars), "cannot apply '*' to array and number"));
  EXPECT_TRUE(Has(EvalError("-name", kVars), "cannot negate string"));
  EXPECT_TRUE(Has(EvalError("'a' - 'b'"), "cannot apply '-' to string and string"));
}

TEST(ExpressionTest, ArithmeticOnNullNamesThePath) {
  EXPECT_TRUE(Has(EvalError("count + 1", kVars), "'count' is null"));
  EXPECT_TRUE(Has(EvalError("1 + unit.size", kVars), "'unit.size' is null"));
  EXPECT_TRUE(Has(EvalError("unit.head.age * 2", kVars), "'unit.head.age' is null"));
  EXPECT_TRUE(Has(EvalError("-missing", kVars), "'missing' is null"));
  EXPECT_TRUE(Has(EvalError("nothing % 2", kVars), "'nothing' is null"));
  EXPECT_TRUE(Has(EvalError("name + missing", kVars), "'missing' is null"));
  EXPECT_TRUE(Has(EvalError("tags[9] < 1", kVars), "'tags[9]' is null"));
}

TEST(ExpressionTest, Concatenation) {
  EXPECT_EQ(Eval("'a' + 'b'"), json("ab"));
  EXPECT_EQ(Eval("'第' + round + '轮'", kVars), json("第2轮"));
  EXPECT_EQ(Eval("round + '轮'", kVars), json("2轮"));
  EXPECT_EQ(Eval("'score ' + score", kVars), json("score 87.5"));
  EXPECT_EQ(Eval("1 + 2 + 'x'"), json("3x"));  // left to right
  EXPECT_EQ(Eval("'x' + 1 + 2"), json("x12"));
  EXPECT_EQ(Eval("tags + ['new']", kVars), json::parse(R"(["urgent", "street", "new"])"));
  EXPECT_EQ(Eval("empty + []", kVars), json::array());
  EXPECT_TRUE(Has(EvalError("'a' + true"), "cannot apply '+' to string and boolean"));
  EXPECT_TRUE(Has(EvalError("tags + 'x'", kVars), "cannot apply '+' to array and string"));
}

TEST(ExpressionTest, Comparisons) {
  EXPECT_EQ(Eval("2 < 10"), json(true));
  EXPECT_EQ(Eval("'2' < '10'"), json(false));  // strings compare lexicographically
  EXPECT_EQ(Eval("'abc' < 'abd'"), json(true));
  EXPECT_EQ(Eval("'b' >= 'a'"), json(true));
  EXPECT_EQ(Eval("'张三' == name", kVars), json(true));
  EXPECT_EQ(Eval("posts <= 3", kVars), json(true));
  EXPECT_EQ(Eval("posts < 3", kVars), json(false));
  EXPECT_EQ(Eval("posts > 2.5", kVars), json(true));
  EXPECT_EQ(Eval("score >= 87.5", kVars), json(true));
  EXPECT_EQ(Eval("-1 < 0"), json(true));
  EXPECT_EQ(Eval("1 == 1.0"), json(true));
  EXPECT_EQ(Eval("1 != 2"), json(true));
  EXPECT_EQ(Eval("'1' == 1"), json(false));  // == works on any values, no coercion
  EXPECT_EQ(Eval("[1, 'a'] == [1, 'a']"), json(true));
  EXPECT_EQ(Eval("tags == ['urgent', 'street']", kVars), json(true));
  EXPECT_EQ(Eval("unit.head == unit.head", kVars), json(true));
  EXPECT_EQ(Eval("flag == true", kVars), json(true));
  EXPECT_EQ(Eval("null == false"), json(false));
}

TEST(ExpressionTest, OrderingMixedTypesIsAnError) {
  EXPECT_TRUE(Has(EvalError("1 < '2'"), "cannot compare number with string using '<'"));
  EXPECT_TRUE(Has(EvalError("posts <= name", kVars), "in 'posts <= name'"));
  EXPECT_TRUE(Has(EvalError("true > false"), "cannot compare boolean with boolean"));
  EXPECT_TRUE(Has(EvalError("tags < tags", kVars), "cannot compare array with array"));
  EXPECT_TRUE(Has(EvalError("missing < 1", kVars), "'missing' is null"));
  EXPECT_TRUE(Has(EvalError("1 >= missing", kVars), "'missing' is null"));
}

TEST(ExpressionTest, ComparisonsDoNotChain) {
  EXPECT_TRUE(Has(CompileError("1 < 2 < 3"), "unexpected '<' at column 7"));
  EXPECT_TRUE(Has(CompileError("1 < 2 < 3"), "do not chain"));
  EXPECT_TRUE(Has(CompileError("a == b == c"), "unexpected '==' at column 8"));
  EXPECT_TRUE(Has(CompileError("a in b in c"), "unexpected 'in' at column 8"));
  EXPECT_TRUE(Has(CompileError("a == b < c == d"), "unexpected '==' at column 12"));
  EXPECT_EQ(Eval("(1 < 2) == (2 < 3)"), json(true));
}

TEST(ExpressionTest, ShortCircuit) {
  EXPECT_EQ(Eval("false && 1 / 0 == 1"), json(false));
  EXPECT_EQ(Eval("true || 1 / 0 == 1"), json(true));
  EXPECT_EQ(Eval("missing != null && missing.count + 1 > 2", kVars), json(false));
  EXPECT_EQ(Eval("missing == null || missing.count + 1 > 2", kVars), json(true));
  EXPECT_TRUE(Has(EvalError("true && 1 / 0 == 1"), "division by zero"));
  EXPECT_TRUE(Has(EvalError("false || 1 / 0 == 1"), "division by zero"));
  // Results are booleans, not the deciding operand.
  EXPECT_EQ(Eval("posts && name", kVars), json(true));
  EXPECT_EQ(Eval("zero || text", kVars), json(false));
  EXPECT_EQ(Eval("!name", kVars), json(false));
  EXPECT_EQ(Eval("!missing", kVars), json(true));
}

TEST(ExpressionTest, In) {
  EXPECT_EQ(Eval("'street' in tags", kVars), json(true));
  EXPECT_EQ(Eval("'rural' in tags", kVars), json(false));
  EXPECT_EQ(Eval("2 in [1, 2.0]"), json(true));
  EXPECT_EQ(Eval("[1] in [[1], [2]]"), json(true));
  EXPECT_EQ(Eval("null in [1, null]"), json(true));
  EXPECT_EQ(Eval("'x' in empty", kVars), json(false));
  EXPECT_EQ(Eval("'三' in name", kVars), json(true));
  EXPECT_EQ(Eval("'ell' in 'hello'"), json(true));
  EXPECT_EQ(Eval("'' in 'hello'"), json(true));
  EXPECT_EQ(Eval("'olleh' in 'hello'"), json(false));
  EXPECT_EQ(Eval("'head' in unit", kVars), json(true));
  EXPECT_EQ(Eval("'u-12' in unit", kVars), json(false));  // keys, not values
  EXPECT_EQ(Eval("'x' in missing", kVars), json(false));
  EXPECT_EQ(Eval("!('urgent' in tags)", kVars), json(false));
  EXPECT_TRUE(Has(EvalError("1 in 'abc'"), "'in' string needs a string on the left, got number"));
  EXPECT_TRUE(Has(EvalError("1 in unit", kVars), "'in' object needs a string on the left"));
  EXPECT_TRUE(Has(EvalError("1 in 5"), "'in' needs an array, string or object on the right"));
}

TEST(ExpressionTest, Len) {
  EXPECT_EQ(Eval("len('中文ab')"), json(4));  // characters, not bytes
  EXPECT_EQ(Eval("len(tags)", kVars), json(2));
  EXPECT_EQ(Eval("len(unit)", kVars), json(3));
  EXPECT_EQ(Eval("len(empty)", kVars), json(0));
  EXPECT_EQ(Eval("len(missing)", kVars), json(0));
  EXPECT_EQ(Eval("len(tags) + 1 == 3", kVars), json(true));
  EXPECT_EQ(Eval("len([1, 2, 3])"), json(3));
  EXPECT_TRUE(Has(EvalError("len(posts)", kVars), "len() needs a string, array or object"));
  EXPECT_TRUE(Has(CompileError("len()"), "wrong number of arguments to len() at column 1"));
  EXPECT_TRUE(Has(CompileError("len(1, 2)"), "expected 1, got 2"));
}

TEST(ExpressionTest, NoClockAndNoUnknownFunctions) {
  EXPECT_TRUE(Has(CompileError("now() > deadline"), "now() is not available at column 1"));
  EXPECT_TRUE(Has(CompileError("x + today()"), "today() is not available at column 5"));
  EXPECT_TRUE(Has(CompileError("upper(name)"), "unknown function 'upper' at column 1"));
  EXPECT_TRUE(Has(CompileError("tags.len()"), "unexpected '(' at column 9"));
}

TEST(ExpressionTest, Truthiness) {
  for (const char* falsy : {"false", "null", "0", "0.0", "''", "[]", "missing", "-0"}) {
    auto expr = Expression::Compile(falsy);
    ASSERT_TRUE(expr.ok()) << falsy;
    auto b = expr->EvaluateBool(kVars);
    ASSERT_TRUE(b.ok()) << falsy;
    EXPECT_FALSE(*b) << falsy;
  }
  for (const char* truthy :
       {"true", "1", "-1", "0.5", "'0'", "' '", "[0]", "[[]]", "unit", "tags"}) {
    auto expr = Expression::Compile(truthy);
    ASSERT_TRUE(expr.ok()) << truthy;
    auto b = expr->EvaluateBool(kVars);
    ASSERT_TRUE(b.ok()) << truthy;
    EXPECT_TRUE(*b) << truthy;
  }
  EXPECT_TRUE(Expression::Truthy(json::object()));
  EXPECT_FALSE(Expression::Truthy(json::parse("0")));  // unsigned zero
  auto failing = Expression::Compile("1 / zero");
  ASSERT_TRUE(failing.ok());
  EXPECT_FALSE(failing->EvaluateBool(kVars).ok());
}

// ---------------------------------------------------------------------------------------------
// Compile errors

TEST(ExpressionTest, CompileErrorsGiveColumnAndExpectation) {
  EXPECT_EQ(CompileError("(posts + 2))"),
            "unexpected ')' at column 12: expected an operator or the end");
  EXPECT_EQ(CompileError("posts + )"),
            "unexpected ')' at column 9: expected a value, a variable, '(' or '['");
  EXPECT_EQ(CompileError("posts +"),
            "unexpected end of expression at column 8: expected a value, a variable, '(' or '['");
  EXPECT_EQ(CompileError("(1 + 2"), "unexpected end of expression at column 7: expected ')'");
  EXPECT_EQ(CompileError("tags[0"), "unexpected end of expression at column 7: expected ']'");
  EXPECT_EQ(CompileError("[1, 2"), "unexpected end of expression at column 6: expected ',' or ']'");
  EXPECT_EQ(CompileError("unit.1"), "unexpected '1' at column 6: expected a field name after '.'");
  EXPECT_EQ(CompileError("a b"), "unexpected 'b' at column 3: expected an operator or the end");
  EXPECT_EQ(CompileError("a = 1"), "unexpected '=' at column 3: did you mean '=='?");
  EXPECT_EQ(CompileError("a & b"), "unexpected '&' at column 3: did you mean '&&'?");
  EXPECT_EQ(CompileError("a | b"), "unexpected '|' at column 3: did you mean '||'?");
  EXPECT_EQ(CompileError("'abc"), "unterminated string starting at column 1");
  EXPECT_EQ(CompileError("x == 'a\\"), "unterminated string starting at column 6");
  EXPECT_EQ(CompileError("5wd > 1"), "invalid number '5wd' at column 1");
  EXPECT_EQ(CompileError("1.2.3"), "invalid number '1.2.3' at column 1");
  EXPECT_EQ(CompileError("99999999999999999999"),
            "integer '99999999999999999999' is too large at column 1");
  EXPECT_EQ(CompileError("'a\\qb'"),
            "unknown escape '\\q' at column 3: expected \\\\ \\' \\\" \\n \\r \\t or \\uXXXX");
  EXPECT_EQ(CompileError("'\\u12'"), "bad \\u escape at column 2: expected 4 hex digits");
  EXPECT_TRUE(Has(CompileError("'\\ud800'"), "unpaired UTF-16 surrogate"));
  EXPECT_EQ(CompileError("a # b"),
            "unexpected '#' at column 3: expected a value, a variable or an operator");
  EXPECT_EQ(CompileError(""), "empty expression");
  EXPECT_EQ(CompileError("   "), "empty expression");
}

TEST(ExpressionTest, NullishDefault) {
  EXPECT_EQ(Eval("revisions ?? 0"), json(0));                     // unset
  EXPECT_EQ(Eval("nothing ?? 'x'", kVars), json("x"));            // null
  EXPECT_EQ(Eval("zero ?? 5", kVars), json(0));                   // falsy but set: kept
  EXPECT_EQ(Eval("text ?? 'x'", kVars), json(""));
  EXPECT_EQ(Eval("empty ?? [1]", kVars), json::array());
  EXPECT_EQ(Eval("flag ?? false", kVars), json(true));
  EXPECT_EQ(Eval("unit.missing ?? unit.id", kVars), json("u-12"));
  EXPECT_EQ(Eval("a ?? b ?? 3"), json(3));                        // chains, first set wins
  EXPECT_EQ(Eval("a ?? posts ?? 3", kVars), json(3));
  EXPECT_EQ(Eval("(revisions ?? 0) + 1"), json(1));               // counters need no seed
  EXPECT_EQ(Eval("(revisions ?? 0) + 1", {{"revisions", 2}}), json(3));
  // The right side is evaluated only when needed.
  EXPECT_EQ(Eval("posts ?? 1 / 0", kVars), json(3));
  EXPECT_TRUE(Has(EvalError("nothing ?? 1 / 0", kVars), "division by zero"));
  // Reading a field of a number is still an error, not null.
  EXPECT_TRUE(Has(EvalError("posts.x ?? 1", kVars), "posts.x"));
}

TEST(ExpressionTest, NullishDefaultPrecedenceIsJavaScripts) {
  // Looser than arithmetic and comparisons: `n ?? 0 + 1` is n ?? (0 + 1).
  EXPECT_EQ(Eval("n ?? 0 + 1"), json(1));
  EXPECT_EQ(Eval("n ?? 0 + 1", {{"n", 5}}), json(5));
  EXPECT_EQ(Eval("n ?? 1 < 2"), json(true));
  EXPECT_EQ(Eval("n ?? 1 < 2", {{"n", 7}}), json(7));
  EXPECT_EQ(Eval("n ?? 'a' in ['a']"), json(true));
  EXPECT_EQ(Eval("(n ?? 0) < 2"), json(true));
  EXPECT_EQ(Eval("!n ?? 3"), json(true));  // unary binds tighter: (!n) ?? 3
  // Mixing with && or || needs parentheses, as in JavaScript.
  EXPECT_EQ(CompileError("a ?? b || c"),
            "unexpected '||' at column 8: '?\?' does not mix with '&&' or '||'; add parentheses");
  EXPECT_EQ(CompileError("a || b ?? c"),
            "unexpected '?\?' at column 8: '?\?' does not mix with '&&' or '||'; add parentheses");
  EXPECT_EQ(CompileError("a && b ?? c"),
            "unexpected '?\?' at column 8: '?\?' does not mix with '&&' or '||'; add parentheses");
  EXPECT_EQ(CompileError("a ?? b && c"),
            "unexpected '?\?' at column 3: '?\?' does not mix with '&&' or '||'; add parentheses");
  EXPECT_EQ(Eval("(a ?? true) || c"), json(true));
  EXPECT_EQ(Eval("a ?? (b || true)"), json(true));
  EXPECT_EQ(Eval("(a && b) ?? 1"), json(false));
  EXPECT_EQ(Eval("a ?? (false && b)"), json(false));
  // A lone '?' is not an operator.
  EXPECT_EQ(CompileError("a ? 1"),
            "unexpected '?' at column 3: did you mean '?\?'? (there is no `a ? b : c`)");
  EXPECT_EQ(CompileError("a ??"),
            "unexpected end of expression at column 5: expected a value, a variable, '(' or '['");
  EXPECT_EQ(CompileError("'中文' ?? ?? 1"),
            "unexpected '?\?' at column 9: expected a value, a variable, '(' or '['");
}

TEST(ExpressionTest, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(CompileError("'中文' + )"),
            "unexpected ')' at column 8: expected a value, a variable, '(' or '['");
  // A full-width sign typed by an IME is shown whole.
  EXPECT_EQ(CompileError("x ＝ 1"),
            "unexpected '＝' at column 3: expected a value, a variable or an operator");
}

TEST(ExpressionTest, DepthLimit) {
  auto nested = [](int depth) { return std::string(depth, '(') + "1" + std::string(depth, ')'); };
  EXPECT_EQ(Eval(nested(150)), json(1));
  EXPECT_EQ(Eval(nested(Expression::kMaxDepth - 1)), json(1));
  EXPECT_TRUE(Has(CompileError(nested(Expression::kMaxDepth)), "nested too deeply"));
  EXPECT_TRUE(Has(CompileError(nested(1000)), "the limit is 200 levels"));
  EXPECT_TRUE(Has(CompileError(std::string(1000, '!') + "true"), "nested too deeply"));
  EXPECT_TRUE(Has(CompileError(std::string(1000, '-') + "1"), "nested too deeply"));
  EXPECT_TRUE(
      Has(CompileError(std::string(1000, '[') + std::string(1000, ']')), "nested too deeply"));
  EXPECT_TRUE(Has(CompileError("a" + std::string(300, '[') + "0" + std::string(300, ']')),
                  "nested too deeply"));
  EXPECT_EQ(Eval(std::string(100, '!') + "true"), json(true));
}

TEST(ExpressionTest, LengthLimit) {
  EXPECT_TRUE(Has(CompileError(std::string(100000, '(')), "expression too long (100000 bytes"));
  EXPECT_TRUE(Has(CompileError("'" + std::string(5000, 'x') + "'"), "the limit is 4096"));
}

TEST(ExpressionTest, LongChainsCountAsDepth) {
  // 1+1+...+1 is a left-deep tree; each operator is a level.
  auto chain = [](int terms, const std::string& op) {
    std::string out = "1";
    for (int i = 1; i < terms; ++i) out += op + "1";
    return out;
  };
  EXPECT_EQ(Eval(chain(Expression::kMaxDepth, "+")), json(Expression::kMaxDepth));
  EXPECT_EQ(Eval(chain(Expression::kMaxDepth, " || ")), json(true));
  EXPECT_EQ(CompileError(chain(Expression::kMaxDepth + 1, "+")),
            "expression nested too deeply at column 1: the limit is 200 levels");
  EXPECT_TRUE(Has(CompileError("x == " + chain(2000, "*")), "nested too deeply at column 6"));
  std::string path = "a";
  for (int i = 0; i < 250; ++i) path += ".b";
  EXPECT_TRUE(Has(CompileError(path), "nested too deeply"));
}

TEST(ExpressionTest, TextAndCopies) {
  auto expr = Expression::Compile("posts + 1");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(expr->text(), "posts + 1");
  const Expression copy = *expr;
  expr = Expression::Compile("0");
  ASSERT_TRUE(expr.ok());
  EXPECT_EQ(copy.text(), "posts + 1");
  EXPECT_EQ(*copy.Evaluate(kVars), json(4));
  EXPECT_EQ(*expr->Evaluate(kVars), json(0));
}

TEST(ExpressionTest, EvaluationDoesNotChangeVariables) {
  json vars = kVars;
  EXPECT_EQ(Eval("tags + ['x']", vars), json::parse(R"(["urgent", "street", "x"])"));
  EXPECT_EQ(vars, kVars);
}

// ---------------------------------------------------------------------------------------------
// Templates

json Render(std::string_view text, const json& vars = kVars) {
  auto t = Template::Compile(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  if (!t.ok()) return "<compile error>";
  auto value = t->Evaluate(vars);
  EXPECT_TRUE(value.ok()) << text << ": " << value.status();
  if (!value.ok()) return "<evaluation error>";
  return *value;
}

std::string TemplateError(std::string_view text) {
  auto t = Template::Compile(text);
  EXPECT_FALSE(t.ok()) << text << " compiled";
  return t.ok() ? "" : std::string(t.status().message());
}

TEST(TemplateTest, WholeExpressionKeepsItsType) {
  EXPECT_EQ(Render("${posts}"), json(3));
  EXPECT_TRUE(Render("${posts}").is_number_integer());
  EXPECT_EQ(Render("${tags}"), json::parse(R"(["urgent", "street"])"));
  EXPECT_EQ(Render("${ posts + 1 }"), json(4));
  EXPECT_EQ(Render("${flag}"), json(true));
  EXPECT_EQ(Render("${unit}"), kVars["unit"]);
  EXPECT_EQ(Render("${missing}"), json(nullptr));
  EXPECT_EQ(Render("${unit.id}"), json("u-12"));
}

TEST(TemplateTest, Interpolates) {
  EXPECT_EQ(Render("第${round}轮: ${name}"), json("第2轮: 张三"));
  EXPECT_EQ(Render("${posts}${vacancies}"), json("35"));  // two parts: a string
  EXPECT_EQ(Render(" ${posts}"), json(" 3"));
  EXPECT_EQ(Render("${posts} "), json("3 "));
  EXPECT_EQ(Render("score=${score}"), json("score=87.5"));
  EXPECT_EQ(Render("[${missing}]"), json("[]"));  // null interpolates as nothing
  EXPECT_EQ(Render("flag=${flag}"), json("flag=true"));
  EXPECT_EQ(Render("tags=${tags}"), json(R"(tags=["urgent","street"])"));
  EXPECT_EQ(Render("head=${unit.head}"), json(R"(head={"name":"李四"})"));
  EXPECT_EQ(Render("${'}'} and ${\"${\"}"), json("} and ${"));  // braces inside strings
}

TEST(TemplateTest, Constants) {
  for (const char* text : {"hello", "", "$", "a$", "$a {b}", "{x}", "$ {x}", "100%"}) {
    auto t = Template::Compile(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.status();
    EXPECT_TRUE(t->IsConstant()) << text;
    EXPECT_EQ(t->text(), text);
    EXPECT_EQ(*t->Evaluate(kVars), json(text));
  }
  auto t = Template::Compile("x${a}");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->IsConstant());
  EXPECT_EQ(t->text(), "x${a}");
}

TEST(TemplateTest, CompileErrors) {
  EXPECT_EQ(TemplateError("abc ${x"), "unterminated '${' at column 5: expected '}'");
  EXPECT_EQ(TemplateError("${'}"), "unterminated '${' at column 1: expected '}'");
  EXPECT_EQ(TemplateError("a ${}"), "empty '${}' at column 3: expected an expression");
  EXPECT_EQ(TemplateError("a ${ }"), "empty '${}' at column 3: expected an expression");
  // Columns inside the expression count from the start of the template.
  EXPECT_EQ(TemplateError("ab ${1 +} cd"),
            "unexpected end of expression at column 9: expected a value, a variable, '(' or '['");
  EXPECT_EQ(TemplateError("第${round)}轮"),
            "unexpected ')' at column 9: expected an operator or the end");
  EXPECT_TRUE(Has(TemplateError("${now()}"), "now() is not available at column 3"));
}

TEST(TemplateTest, EvaluationErrors) {
  auto t = Template::Compile("count=${count + 1}");
  ASSERT_TRUE(t.ok());
  auto v = t->Evaluate(kVars);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(Has(std::string(v.status().message()), "'count' is null"));
}

}  // namespace
}  // namespace shequ::engine
