// See linear.h.
#include "linear.h"

#include <vector>

#include "common.h"

namespace mlxt {

mx::array FusedLinear(const mx::array& x, const mx::array& w, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  bool applies = UsesKernel(x, stream) && w.dtype() == mx::float32 && w.ndim() == 2 && x.ndim() >= 1 &&
                 x.shape(-1) == w.shape(1);
  if (!applies) return mx::matmul(x, mx::transpose(w, stream), stream);
  auto forward = [stream](const std::vector<mx::array>& in) {
    return std::vector<mx::array>{mx::matmul(in[0], mx::transpose(in[1], stream), stream)};
  };
  // dX = dY·W; dW = dYᵀ·x over the rows of every leading axis, as one GEMM into W's layout. MLX only
  // evaluates the one a caller asks for (a frozen W's is never computed).
  auto backward = [stream](const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                           const std::vector<mx::array>&) {
    const auto& x = primals[0];
    const auto& w = primals[1];
    const auto& g = cotangents[0];
    auto rows = [&](const mx::array& a, int width) { return mx::reshape(a, {-1, width}, stream); };
    auto dw = mx::matmul(mx::transpose(rows(g, w.shape(0)), stream), rows(x, w.shape(1)), stream);
    return std::vector<mx::array>{mx::matmul(g, w, stream), dw};
  };
  return mx::custom_vjp(forward, backward)({x, w})[0];
}

}  // namespace mlxt
