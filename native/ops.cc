// Elementwise, comparison, reduction, linear-algebra, scan and sort ops: thin, exact calls into
// mlx::core. Defaults and option checking live in src/core/ops.ts; here every argument is explicit.
#include <napi.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

// "a: float32[2,3], b: 2" for the first `count` arguments, so errors show the operands involved.
std::string DescribeOperands(const Napi::CallbackInfo& info, size_t count, const char* const* names) {
  std::string out;
  for (size_t i = 0; i < count && i < info.Length(); ++i) {
    const Napi::Value v = info[i];
    std::string d;
    if (IsArrayHandle(v)) {
      try {
        d = Describe(Unwrap(v));
      } catch (...) {
        d = "disposed array";
      }
    } else if (v.IsNumber()) {
      d = "number " + v.ToString().Utf8Value();
    } else if (v.IsBoolean()) {
      d = v.As<Napi::Boolean>().Value() ? "true" : "false";
    } else {
      continue;  // argument conversion already named the bad value
    }
    out += (out.empty() ? "" : ", ") + std::string(names[i]) + ": " + d;
  }
  return out.empty() ? out : " (" + out + ")";
}

// MLX's own messages often leave the operands out ("Invalid axis 5 for array with 2 dimensions"):
// rethrow MLX's exceptions, same kind, with the operands' dtypes and shapes appended.
template <typename F>
Napi::Value WithOperands(const Napi::CallbackInfo& info, size_t count, const char* const* names, F&& body) {
  try {
    return body();
  } catch (const std::out_of_range& e) {
    throw std::out_of_range(e.what() + DescribeOperands(info, count, names));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(e.what() + DescribeOperands(info, count, names));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(e.what() + DescribeOperands(info, count, names));
  }
}

const char* const kAB[] = {"a", "b"};
const char* const kA[] = {"a"};
const char* const kWhere[] = {"condition", "x", "y"};
const char* const kClip[] = {"a", "min", "max"};
const char* const kAddmm[] = {"c", "a", "b"};

// Single axis or, for undefined/null, the flattened array.
std::optional<int> ToOptionalAxis(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return ToInt(v, "axis");
}

// An optional bound of clip: null/undefined or an operand typed like `a` (weak scalars).
std::optional<mx::array> ToOptionalBound(const Napi::Value& v, const Napi::Value& aArg, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return ToArray(v, &Unwrap(aArg, "a"), what);
}

}  // namespace

// (a, b, stream): array or JS scalar on either side, MLX Python's weak scalar typing.
#define MLXT_BINARY(exports, name, fn)                          \
  MLXT_EXPORT(exports, name, {                                  \
    return WithOperands(info, 2, kAB, [&] {                     \
      auto [a, b] = ToArrayPair(info[0], info[1]);              \
      return Wrap(info.Env(), fn(a, b, ToStream(info[2])));     \
    });                                                         \
  })

// (a, b, stream) for ops whose Python binding takes plain arrays (logical_and/or): a JS scalar becomes an
// array of its own type, with no weak typing, so logicalAnd(uint8Array, 300) is fine, as in Python.
#define MLXT_BINARY_STRICT(exports, name, fn)                                                             \
  MLXT_EXPORT(exports, name, {                                                                          \
    return WithOperands(info, 2, kAB, [&] {                                                             \
      mx::array a = ToArray(info[0], nullptr, "a");                                                     \
      return Wrap(info.Env(), fn(a, ToArray(info[1], nullptr, "b"), ToStream(info[2])));                \
    });                                                                                                 \
  })

// (a, stream): an array or a JS scalar (made an int32/float32/bool array, as Python's to_array does).
#define MLXT_UNARY(exports, name, fn)                                                         \
  MLXT_EXPORT(exports, name, {                                                                \
    return WithOperands(info, 1, kA, [&] {                                                    \
      return Wrap(info.Env(), fn(ToArray(info[0], nullptr, "a"), ToStream(info[1])));         \
    });                                                                                       \
  })

// Reductions: (a, axes | undefined (all), keepdims, stream).
#define MLXT_REDUCE(exports, name, fn)                                          \
  MLXT_EXPORT(exports, name, {                                                  \
    return WithOperands(info, 1, kA, [&] {                                      \
      const auto& a = Unwrap(info[0], "a");                                     \
      auto axes = ToAxes(info[1]);                                              \
      bool keep = ToBool(info[2], "keepdims");                                  \
      auto s = ToStream(info[3]);                                               \
      return Wrap(info.Env(), axes ? fn(a, *axes, keep, s) : fn(a, keep, s));   \
    });                                                                         \
  })

// Variance-like: (a, axes | undefined, keepdims, ddof, stream).
#define MLXT_REDUCE_DDOF(exports, name, fn)                                                 \
  MLXT_EXPORT(exports, name, {                                                              \
    return WithOperands(info, 1, kA, [&] {                                                  \
      const auto& a = Unwrap(info[0], "a");                                                 \
      auto axes = ToAxes(info[1]);                                                          \
      bool keep = ToBool(info[2], "keepdims");                                              \
      int ddof = ToInt(info[3], "ddof");                                                    \
      auto s = ToStream(info[4]);                                                           \
      return Wrap(info.Env(), axes ? fn(a, *axes, keep, ddof, s) : fn(a, keep, ddof, s));   \
    });                                                                                     \
  })

// Index reductions: (a, axis | undefined (flattened), keepdims, stream).
#define MLXT_ARG_REDUCE(exports, name, fn)                                                 \
  MLXT_EXPORT(exports, name, {                                                             \
    return WithOperands(info, 1, kA, [&] {                                                 \
      const auto& a = Unwrap(info[0], "a");                                                \
      auto axis = ToOptionalAxis(info[1]);                                                 \
      bool keep = ToBool(info[2], "keepdims");                                             \
      auto s = ToStream(info[3]);                                                          \
      return Wrap(info.Env(), axis ? fn(a, *axis, keep, s) : fn(a, keep, s));              \
    });                                                                                    \
  })

// Scans: (a, axis | undefined (flattened), reverse, inclusive, stream).
#define MLXT_SCAN(exports, name, fn)                                                          \
  MLXT_EXPORT(exports, name, {                                                                \
    return WithOperands(info, 1, kA, [&] {                                                    \
      const auto& a = Unwrap(info[0], "a");                                                   \
      auto axis = ToOptionalAxis(info[1]);                                                    \
      bool reverse = ToBool(info[2], "reverse");                                              \
      bool inclusive = ToBool(info[3], "inclusive");                                          \
      auto s = ToStream(info[4]);                                                             \
      return Wrap(info.Env(),                                                                 \
                  axis ? fn(a, *axis, reverse, inclusive, s) : fn(a, reverse, inclusive, s));     \
    });                                                                                       \
  })

// Sorts: (a, axis | undefined (flattened), stream).
#define MLXT_SORT(exports, name, fn)                                             \
  MLXT_EXPORT(exports, name, {                                                   \
    return WithOperands(info, 1, kA, [&] {                                       \
      const auto& a = Unwrap(info[0], "a");                                      \
      auto axis = ToOptionalAxis(info[1]);                                       \
      auto s = ToStream(info[2]);                                                \
      return Wrap(info.Env(), axis ? fn(a, *axis, s) : fn(a, s));                \
    });                                                                          \
  })

// Selections by rank: (a, k, axis | undefined (flattened), stream).
#define MLXT_SELECT(exports, name, fn)                                           \
  MLXT_EXPORT(exports, name, {                                                   \
    return WithOperands(info, 1, kA, [&] {                                       \
      const auto& a = Unwrap(info[0], "a");                                      \
      int k = ToInt(info[1], "k");                                               \
      auto axis = ToOptionalAxis(info[2]);                                       \
      auto s = ToStream(info[3]);                                                \
      return Wrap(info.Env(), axis ? fn(a, k, *axis, s) : fn(a, k, s));          \
    });                                                                          \
  })

void InitOps(Napi::Object exports) {
  // Arithmetic.
  MLXT_BINARY(exports, "add", mx::add);
  MLXT_BINARY(exports, "subtract", mx::subtract);
  MLXT_BINARY(exports, "multiply", mx::multiply);
  MLXT_BINARY(exports, "divide", mx::divide);
  MLXT_BINARY(exports, "floorDivide", mx::floor_divide);
  MLXT_BINARY(exports, "remainder", mx::remainder);
  MLXT_BINARY(exports, "power", mx::power);
  MLXT_BINARY(exports, "maximum", mx::maximum);
  MLXT_BINARY(exports, "minimum", mx::minimum);
  MLXT_BINARY(exports, "arctan2", mx::arctan2);
  MLXT_UNARY(exports, "negative", mx::negative);
  MLXT_UNARY(exports, "square", mx::square);
  MLXT_UNARY(exports, "reciprocal", mx::reciprocal);
  MLXT_UNARY(exports, "abs", mx::abs);
  MLXT_UNARY(exports, "sign", mx::sign);

  // Comparisons and logic.
  MLXT_BINARY(exports, "equal", mx::equal);
  MLXT_BINARY(exports, "notEqual", mx::not_equal);
  MLXT_BINARY(exports, "less", mx::less);
  MLXT_BINARY(exports, "lessEqual", mx::less_equal);
  MLXT_BINARY(exports, "greater", mx::greater);
  MLXT_BINARY(exports, "greaterEqual", mx::greater_equal);
  MLXT_BINARY_STRICT(exports, "logicalAnd", mx::logical_and);
  MLXT_BINARY_STRICT(exports, "logicalOr", mx::logical_or);
  MLXT_UNARY(exports, "logicalNot", mx::logical_not);
  MLXT_UNARY(exports, "isnan", mx::isnan);
  MLXT_UNARY(exports, "isinf", mx::isinf);
  MLXT_UNARY(exports, "isfinite", mx::isfinite);

  // (a, b, rtol, atol, equalNan, stream)
  MLXT_EXPORT(exports, "isclose", {
    return WithOperands(info, 2, kAB, [&] {
      auto [a, b] = ToArrayPair(info[0], info[1]);
      return Wrap(info.Env(), mx::isclose(a, b, ToDouble(info[2], "rtol"), ToDouble(info[3], "atol"),
                                          ToBool(info[4], "equalNan"), ToStream(info[5])));
    });
  });
  MLXT_EXPORT(exports, "allclose", {
    return WithOperands(info, 2, kAB, [&] {
      auto [a, b] = ToArrayPair(info[0], info[1]);
      return Wrap(info.Env(), mx::allclose(a, b, ToDouble(info[2], "rtol"), ToDouble(info[3], "atol"),
                                           ToBool(info[4], "equalNan"), ToStream(info[5])));
    });
  });
  // (a, b, equalNan, stream)
  MLXT_EXPORT(exports, "arrayEqual", {
    return WithOperands(info, 2, kAB, [&] {
      auto [a, b] = ToArrayPair(info[0], info[1]);
      return Wrap(info.Env(), mx::array_equal(a, b, ToBool(info[2], "equalNan"), ToStream(info[3])));
    });
  });
  // (condition, x, y, stream): x and y typed together, the condition on its own (as in Python).
  MLXT_EXPORT(exports, "where", {
    return WithOperands(info, 3, kWhere, [&] {
      mx::array condition = ToArray(info[0], nullptr, "condition");
      auto [x, y] = ToArrayPair(info[1], info[2]);
      return Wrap(info.Env(), mx::where(condition, x, y, ToStream(info[3])));
    });
  });

  // Unary math.
  MLXT_UNARY(exports, "exp", mx::exp);
  MLXT_UNARY(exports, "expm1", mx::expm1);
  MLXT_UNARY(exports, "log", mx::log);
  MLXT_UNARY(exports, "log1p", mx::log1p);
  MLXT_UNARY(exports, "log2", mx::log2);
  MLXT_UNARY(exports, "log10", mx::log10);
  MLXT_UNARY(exports, "sqrt", mx::sqrt);
  MLXT_UNARY(exports, "rsqrt", mx::rsqrt);
  MLXT_UNARY(exports, "sin", mx::sin);
  MLXT_UNARY(exports, "cos", mx::cos);
  MLXT_UNARY(exports, "tan", mx::tan);
  MLXT_UNARY(exports, "tanh", mx::tanh);
  MLXT_UNARY(exports, "sinh", mx::sinh);
  MLXT_UNARY(exports, "cosh", mx::cosh);
  MLXT_UNARY(exports, "arcsin", mx::arcsin);
  MLXT_UNARY(exports, "arccos", mx::arccos);
  MLXT_UNARY(exports, "arctan", mx::arctan);
  MLXT_UNARY(exports, "erf", mx::erf);
  MLXT_UNARY(exports, "erfinv", mx::erfinv);
  MLXT_UNARY(exports, "sigmoid", mx::sigmoid);
  MLXT_UNARY(exports, "floor", mx::floor);
  MLXT_UNARY(exports, "ceil", mx::ceil);
  MLXT_UNARY(exports, "stopGradient", mx::stop_gradient);

  // (a, decimals, stream)
  MLXT_EXPORT(exports, "round", {
    return WithOperands(info, 1, kA, [&] {
      return Wrap(info.Env(), mx::round(ToArray(info[0], nullptr, "a"), ToInt(info[1], "decimals"), ToStream(info[2])));
    });
  });
  // (a, min | null, max | null, stream): scalar bounds take a's dtype where Python's would.
  MLXT_EXPORT(exports, "clip", {
    return WithOperands(info, 3, kClip, [&] {
      const auto& a = Unwrap(info[0], "a");
      auto lo = ToOptionalBound(info[1], info[0], "min");
      auto hi = ToOptionalBound(info[2], info[0], "max");
      return Wrap(info.Env(), mx::clip(a, lo, hi, ToStream(info[3])));
    });
  });
  // (a, axes | undefined (all), precise, stream)
  MLXT_EXPORT(exports, "softmax", {
    return WithOperands(info, 1, kA, [&] {
      const auto& a = Unwrap(info[0], "a");
      auto axes = ToAxes(info[1]);
      bool precise = ToBool(info[2], "precise");
      auto s = ToStream(info[3]);
      return Wrap(info.Env(), axes ? mx::softmax(a, *axes, precise, s) : mx::softmax(a, precise, s));
    });
  });

  // Reductions.
  MLXT_REDUCE(exports, "sum", mx::sum);
  MLXT_REDUCE(exports, "mean", mx::mean);
  MLXT_REDUCE(exports, "prod", mx::prod);
  MLXT_REDUCE(exports, "max", mx::max);
  MLXT_REDUCE(exports, "min", mx::min);
  MLXT_REDUCE(exports, "all", mx::all);
  MLXT_REDUCE(exports, "any", mx::any);
  MLXT_REDUCE(exports, "logsumexp", mx::logsumexp);
  MLXT_REDUCE_DDOF(exports, "var", mx::var);
  MLXT_REDUCE_DDOF(exports, "std", mx::std);
  MLXT_ARG_REDUCE(exports, "argmax", mx::argmax);
  MLXT_ARG_REDUCE(exports, "argmin", mx::argmin);

  // Linear algebra.
  MLXT_BINARY(exports, "matmul", mx::matmul);
  MLXT_BINARY(exports, "inner", mx::inner);
  MLXT_BINARY(exports, "outer", mx::outer);
  // (c, a, b, alpha, beta, stream): beta * c + alpha * (a @ b)
  MLXT_EXPORT(exports, "addmm", {
    return WithOperands(info, 3, kAddmm, [&] {
      float alpha = static_cast<float>(ToDouble(info[3], "alpha"));
      float beta = static_cast<float>(ToDouble(info[4], "beta"));
      return Wrap(info.Env(), mx::addmm(Unwrap(info[0], "c"), Unwrap(info[1], "a"), Unwrap(info[2], "b"), alpha,
                                        beta, ToStream(info[5])));
    });
  });

  // Scans and sorts.
  MLXT_SCAN(exports, "cumsum", mx::cumsum);
  MLXT_SCAN(exports, "cumprod", mx::cumprod);
  MLXT_SCAN(exports, "cummax", mx::cummax);
  MLXT_SCAN(exports, "cummin", mx::cummin);
  MLXT_SORT(exports, "sort", mx::sort);
  MLXT_SORT(exports, "argsort", mx::argsort);
  MLXT_SELECT(exports, "topk", mx::topk);
  MLXT_SELECT(exports, "partition", mx::partition);
  MLXT_SELECT(exports, "argpartition", mx::argpartition);
}

}  // namespace mlxt
