// Elementwise, reduction and linear-algebra ops: thin, exact calls into mlx::core.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

#define MLXT_BINARY(exports, name, fn)                        \
  MLXT_EXPORT(exports, name, {                                \
    auto [a, b] = ToArrayPair(info[0], info[1]);              \
    return Wrap(info.Env(), fn(a, b, ToStream(info[2])));     \
  })

#define MLXT_UNARY(exports, name, fn) \
  MLXT_EXPORT(exports, name, { return Wrap(info.Env(), fn(Unwrap(info[0], "a"), ToStream(info[1]))); })

// Reductions: (a, axes | undefined, keepdims, stream).
#define MLXT_REDUCE(exports, name, fn)                                                   \
  MLXT_EXPORT(exports, name, {                                                           \
    const auto& a = Unwrap(info[0], "a");                                                \
    auto axes = ToAxes(info[1]);                                                         \
    bool keep = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();              \
    auto s = ToStream(info[3]);                                                          \
    return Wrap(info.Env(), axes ? fn(a, *axes, keep, s) : fn(a, keep, s));              \
  })

void InitOps(Napi::Object exports) {
  MLXT_BINARY(exports, "add", mx::add);
  MLXT_BINARY(exports, "subtract", mx::subtract);
  MLXT_BINARY(exports, "multiply", mx::multiply);
  MLXT_BINARY(exports, "divide", mx::divide);
  MLXT_BINARY(exports, "matmul", mx::matmul);

  MLXT_UNARY(exports, "exp", mx::exp);
  MLXT_UNARY(exports, "negative", mx::negative);

  MLXT_REDUCE(exports, "sum", mx::sum);
  MLXT_REDUCE(exports, "mean", mx::mean);

  MLXT_EXPORT(exports, "reshape", {
    return Wrap(info.Env(), mx::reshape(Unwrap(info[0], "a"), ToShape(info[1]), ToStream(info[2])));
  });
}

}  // namespace mlxt
