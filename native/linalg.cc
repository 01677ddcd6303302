// mx.linalg: norms and the LAPACK-backed factorizations (QR, SVD, LU, Cholesky, eigen-decompositions,
// inverses, solves). On the CPU these run in libmlx through whatever BLAS/LAPACK it loaded (OpenBLAS).
#include <napi.h>

#include "exports.h"
#include "mlx/linalg.h"
#include "wrap.h"

namespace mlxt {

namespace {

Napi::Value Pair(Napi::Env env, std::pair<mx::array, mx::array> p) { return WrapMany(env, {p.first, p.second}); }

std::string ToUplo(const Napi::Value& v) {
  if (!v.IsString()) ThrowType("expected 'L' or 'U' for UPLO");
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace

void InitLinalg(Napi::Object exports) {
  // (a, ord: number | string | null, axes | null, keepdims, stream)
  MLXT_EXPORT(exports, "linalgNorm", {
    const auto& a = Unwrap(info[0], "a");
    auto axes = ToAxes(info[2], "axis");
    bool keepdims = ToBool(info[3], "keepdims");
    auto s = ToStream(info[4]);
    if (info[1].IsString()) return Wrap(info.Env(), mx::linalg::norm(a, info[1].As<Napi::String>().Utf8Value(), axes, keepdims, s));
    if (info[1].IsNumber()) return Wrap(info.Env(), mx::linalg::norm(a, ToDouble(info[1], "ord"), axes, keepdims, s));
    return Wrap(info.Env(), mx::linalg::norm(a, axes, keepdims, s));
  });
  MLXT_EXPORT(exports, "linalgQr", { return Pair(info.Env(), mx::linalg::qr(Unwrap(info[0], "a"), ToStream(info[1]))); });
  // (a, computeUv, stream) -> [U, S, Vt] or [S]
  MLXT_EXPORT(exports, "linalgSvd", {
    return WrapMany(info.Env(), mx::linalg::svd(Unwrap(info[0], "a"), ToBool(info[1], "computeUv"), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "linalgInv", { return Wrap(info.Env(), mx::linalg::inv(Unwrap(info[0], "a"), ToStream(info[1]))); });
  MLXT_EXPORT(exports, "linalgPinv", { return Wrap(info.Env(), mx::linalg::pinv(Unwrap(info[0], "a"), ToStream(info[1]))); });
  MLXT_EXPORT(exports, "linalgTriInv", {
    return Wrap(info.Env(), mx::linalg::tri_inv(Unwrap(info[0], "a"), ToBool(info[1], "upper"), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "linalgCholesky", {
    return Wrap(info.Env(), mx::linalg::cholesky(Unwrap(info[0], "a"), ToBool(info[1], "upper"), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "linalgCholeskyInv", {
    return Wrap(info.Env(), mx::linalg::cholesky_inv(Unwrap(info[0], "a"), ToBool(info[1], "upper"), ToStream(info[2])));
  });
  // -> [P, L, U]
  MLXT_EXPORT(exports, "linalgLu", { return WrapMany(info.Env(), mx::linalg::lu(Unwrap(info[0], "a"), ToStream(info[1]))); });
  // -> [LU, pivots]
  MLXT_EXPORT(exports, "linalgLuFactor", { return Pair(info.Env(), mx::linalg::lu_factor(Unwrap(info[0], "a"), ToStream(info[1]))); });
  MLXT_EXPORT(exports, "linalgSolve", {
    return Wrap(info.Env(), mx::linalg::solve(Unwrap(info[0], "a"), Unwrap(info[1], "b"), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "linalgSolveTriangular", {
    return Wrap(info.Env(), mx::linalg::solve_triangular(Unwrap(info[0], "a"), Unwrap(info[1], "b"), ToBool(info[2], "upper"),
                                                         ToStream(info[3])));
  });
  MLXT_EXPORT(exports, "linalgCross", {
    return Wrap(info.Env(), mx::linalg::cross(Unwrap(info[0], "a"), Unwrap(info[1], "b"), ToInt(info[2], "axis"), ToStream(info[3])));
  });
  // -> [eigenvalues, eigenvectors] (complex64)
  MLXT_EXPORT(exports, "linalgEig", { return Pair(info.Env(), mx::linalg::eig(Unwrap(info[0], "a"), ToStream(info[1]))); });
  MLXT_EXPORT(exports, "linalgEigvals", { return Wrap(info.Env(), mx::linalg::eigvals(Unwrap(info[0], "a"), ToStream(info[1]))); });
  // (a, UPLO, stream) -> [eigenvalues, eigenvectors]
  MLXT_EXPORT(exports, "linalgEigh", { return Pair(info.Env(), mx::linalg::eigh(Unwrap(info[0], "a"), ToUplo(info[1]), ToStream(info[2]))); });
  MLXT_EXPORT(exports, "linalgEigvalsh", {
    return Wrap(info.Env(), mx::linalg::eigvalsh(Unwrap(info[0], "a"), ToUplo(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "linalgDet", { return Wrap(info.Env(), mx::linalg::det(Unwrap(info[0], "a"), ToStream(info[1]))); });
  // -> [sign, logabsdet]
  MLXT_EXPORT(exports, "linalgSlogdet", { return Pair(info.Env(), mx::linalg::slogdet(Unwrap(info[0], "a"), ToStream(info[1]))); });
}

}  // namespace mlxt
