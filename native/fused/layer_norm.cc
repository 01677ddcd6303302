// Fused LayerNorm primitives (see layer_norm.h). Rows are independent in the forward; the backward's
// weight and bias gradients are sums over rows, accumulated per block of rows (a fixed partition, so the
// result does not depend on which thread ran which block) and then added in block order.
#include "layer_norm.h"

#include <cmath>
#include <memory>
#include <vector>

#include "add.h"
#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

constexpr int kLanes = kV16Lanes;

#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")

MLXT_INLINE float RowSum(const float* __restrict x, std::size_t n) {
  V16 lanes = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) lanes += Load16(x + i);
  for (; i < n; ++i) lanes[0] += x[i];
  return LaneSum(lanes);
}

// Mean and 1/√(var + eps) of one row (two passes: the variance of the centred values).
MLXT_INLINE void RowMoments(const float* __restrict x, std::size_t n, float eps, float& mean, float& rstd) {
  mean = RowSum(x, n) / static_cast<float>(n);
  V16 lanes = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    V16 d = Load16(x + i) - mean;
    lanes += d * d;
  }
  for (; i < n; ++i) lanes[0] += (x[i] - mean) * (x[i] - mean);
  rstd = 1.0f / std::sqrt(LaneSum(lanes) / static_cast<float>(n) + eps);
}

// x and y may share a buffer (a donated input): the row is read in full before it is written.
MLXT_SIMD_CLONES void ForwardRow(const float* x, const float* __restrict w, const float* __restrict b, float* y,
                                 std::size_t n, float eps) {
  float mean, rstd;
  RowMoments(x, n, eps, mean, rstd);
  for (std::size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd * w[i] + b[i];
}

// dx for one row, and the row's terms of dw (g·x̂) and db (g) added into dw, db.
// dx = rstd·(g·w − mean(g·w) − x̂·mean(g·w·x̂)).
// g and dx may share a buffer (a donated cotangent): each element of g is read before dx's is written.
MLXT_SIMD_CLONES void BackwardRow(const float* __restrict x, const float* __restrict w, const float* g, float* dx,
                                  float* __restrict dw, float* __restrict db, std::size_t n, float eps) {
  float mean, rstd;
  RowMoments(x, n, eps, mean, rstd);
  V16 l1 = {}, l2 = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    V16 xh = (Load16(x + i) - mean) * rstd;
    V16 gw = Load16(g + i) * Load16(w + i);
    l1 += gw;
    l2 += gw * xh;
  }
  for (; i < n; ++i) {
    float xh = (x[i] - mean) * rstd;
    float gw = g[i] * w[i];
    l1[0] += gw;
    l2[0] += gw * xh;
  }
  float s1 = LaneSum(l1), s2 = LaneSum(l2);
  float inv_n = 1.0f / static_cast<float>(n);
  float m1 = s1 * inv_n, m2 = s2 * inv_n;
  for (i = 0; i < n; ++i) {
    float xh = (x[i] - mean) * rstd;
    dx[i] = rstd * (g[i] * w[i] - m1 - xh * m2);
    dw[i] += g[i] * xh;
    db[i] += g[i];
  }
}

#pragma GCC pop_options

struct ForwardArgs {
  FloatInput input;
  std::optional<FloatInput> residual_input;
  const float *x, *r, *w, *b;  // x, r: row-major, set in the task (r null without a residual)
  float* y;
  std::size_t n;
  float eps;
};

void ForwardRows(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<ForwardArgs*>(ctx);
  for (std::size_t row = begin; row < end; ++row) {
    const float* x = a.x + row * a.n;
    float* y = a.y + row * a.n;
    // With a residual, y holds x + r (made a row at a time, so the sum never leaves L1, where the stock add
    // writes and LayerNorm reads back a whole activation), then is normalised in place.
    if (a.r != nullptr) {
      AddFloats(x, a.r + row * a.n, y, a.n);
      x = y;
    }
    ForwardRow(x, a.w, a.b, y, a.n, a.eps);
  }
}

struct BackwardArgs {
  FloatInput x_input, g_input;
  std::optional<FloatInput> residual_input;
  const float *x, *r, *w, *g;  // x, r, g: row-major, set in the task (r null without a residual)
  float* dx;
  float* partial;  // [blocks, 2, n]: each block's dw then db
  std::size_t n, rows, rows_per_block;
  float eps;
};

void BackwardBlocks(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<BackwardArgs*>(ctx);
  thread_local std::vector<float> sum;
  if (a.r != nullptr) sum.resize(a.n);
  for (std::size_t blk = begin; blk < end; ++blk) {
    float* dw = a.partial + blk * 2 * a.n;
    float* db = dw + a.n;
    std::fill(dw, dw + 2 * a.n, 0.0f);
    std::size_t r_end = std::min(a.rows, (blk + 1) * a.rows_per_block);
    for (std::size_t row = blk * a.rows_per_block; row < r_end; ++row) {
      const float* x = a.x + row * a.n;
      if (a.r != nullptr) {  // the forward's x + r again, rather than a kept copy of it
        AddFloats(x, a.r + row * a.n, sum.data(), a.n);
        x = sum.data();
      }
      BackwardRow(x, a.w, a.g + row * a.n, a.dx + row * a.n, dw, db, a.n, a.eps);
    }
  }
}

mx::array StockLayerNorm(const mx::array& x, const std::optional<mx::array>& w, const std::optional<mx::array>& b,
                         float eps, mx::Stream s) {
  return mx::fast::layer_norm(x, w, b, eps, s);
}

// The stock composition of the primitive's inputs (x, weight, bias[, residual]).
mx::array StockOf(const std::vector<mx::array>& in, float eps, mx::Stream s) {
  return StockLayerNorm(in.size() > 3 ? mx::add(in[0], in[3], s) : in[0], in[1], in[2], eps, s);
}

class LayerNormPrimitive : public mx::UnaryPrimitive {
 public:
  LayerNormPrimitive(mx::Stream stream, float eps) : mx::UnaryPrimitive(stream), eps_(eps) {}

  // inputs: x (float32, any layout), weight [n], bias [n] (row-contiguous float32)[, residual (float32, x's
  // shape, any layout): normalises x + residual]
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto &x = inputs[0], &w = inputs[1], &b = inputs[2];
    for (const auto* a : {&w, &b}) CheckKernelInput(*a, name());
    bool residual = inputs.size() > 3;
    // A donated residual is as good as a donated x: each row is read in full before it is written.
    AllocateLike(out, residual && !x.is_donatable() ? inputs[3] : x);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (const auto& a : inputs) encoder.set_input_array(a);
    encoder.set_output_array(out);
    std::size_t n = static_cast<std::size_t>(x.shape(-1));
    std::size_t rows = n == 0 ? 0 : x.size() / n;
    ForwardArgs args{FloatInput::Of(x), std::nullopt, nullptr, nullptr, w.data<float>(), b.data<float>(), out.data<float>(), n, eps_};
    if (residual) args.residual_input = FloatInput::Of(inputs[3]);
    encoder.dispatch([args = std::move(args), rows]() mutable {
      std::vector<float> scratch, r_scratch;
      args.x = args.input.Rows(scratch);
      if (args.residual_input) args.r = args.residual_input->Rows(r_scratch);
      ParallelFor(rows, RowGrain(args.n), ForwardRows, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedLayerNorm has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override;

  // Forward-mode through the stock composition (rarely used; keeps jvp exact).
  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    auto s = stream();
    float eps = eps_;
    auto fn = [s, eps](const std::vector<mx::array>& in) { return std::vector<mx::array>{StockOf(in, eps, s)}; };
    std::vector<mx::array> full;
    for (const auto& p : primals) full.push_back(mx::zeros_like(p, s));
    for (std::size_t i = 0; i < argnums.size(); ++i) full[argnums[i]] = tangents[i];
    return mx::jvp(fn, primals, full).second;
  }

  const char* name() const override { return "FusedLayerNorm"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const LayerNormPrimitive*>(&other);
    return o != nullptr && o->eps_ == eps_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }

 private:
  float eps_;
};

// Outputs dx, dweight, dbias from x, weight and the cotangent g[, and the residual added to x]; dx is the
// residual's gradient too.
class LayerNormGradPrimitive : public mx::Primitive {
 public:
  LayerNormGradPrimitive(mx::Stream stream, float eps) : mx::Primitive(stream), eps_(eps) {}

  void eval_cpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    const auto &x = inputs[0], &w = inputs[1], &g = inputs[2];
    CheckKernelInput(w, name());
    bool residual = inputs.size() > 3;
    auto &dx = outputs[0], &dw = outputs[1], &db = outputs[2];
    AllocateLike(dx, g);
    dw.set_data(mx::allocator::malloc(dw.nbytes()));
    db.set_data(mx::allocator::malloc(db.nbytes()));
    std::size_t n = static_cast<std::size_t>(x.shape(-1));
    std::size_t rows = n == 0 ? 0 : x.size() / n;
    // Blocks of whole rows, about 16K floats each; at most 256 blocks so the final sum stays small.
    std::size_t per_block = std::max<std::size_t>(RowGrain(n), (rows + 255) / 256);
    std::size_t blocks = rows == 0 ? 0 : (rows + per_block - 1) / per_block;
    mx::array partial({static_cast<int>(std::max<std::size_t>(blocks, 1)), 2, static_cast<int>(n)}, mx::float32, nullptr, {});
    partial.set_data(mx::allocator::malloc(partial.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (const auto& a : inputs) encoder.set_input_array(a);
    for (auto& o : outputs) encoder.set_output_array(o);
    BackwardArgs args{FloatInput::Of(x), FloatInput::Of(g), std::nullopt, nullptr, nullptr, w.data<float>(), nullptr,
                      dx.data<float>(), partial.data<float>(), n, rows, per_block, eps_};
    if (residual) args.residual_input = FloatInput::Of(inputs[3]);
    encoder.dispatch([args = std::move(args), blocks, dwp = dw.data<float>(), dbp = db.data<float>()]() mutable {
      std::vector<float> x_scratch, g_scratch, r_scratch;
      args.x = args.x_input.Rows(x_scratch);
      args.g = args.g_input.Rows(g_scratch);
      if (args.residual_input) args.r = args.residual_input->Rows(r_scratch);
      ParallelFor(blocks, 1, BackwardBlocks, &args);
      std::fill(dwp, dwp + args.n, 0.0f);
      std::fill(dbp, dbp + args.n, 0.0f);
      for (std::size_t blk = 0; blk < blocks; ++blk) {
        const float* p = args.partial + blk * 2 * args.n;
        for (std::size_t i = 0; i < args.n; ++i) {
          dwp[i] += p[i];
          dbp[i] += p[args.n + i];
        }
      }
    });
    encoder.add_temporary(std::move(partial));
  }

  void eval_gpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::invalid_argument("FusedLayerNormGrad has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // Second order through the stock layer norm's own vjp.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    auto s = stream();
    float eps = eps_;
    int n = primals[1].shape(0);
    auto grads_of = [s, eps, n](const std::vector<mx::array>& in) {  // in: x, weight, g[, residual]
      auto fn = [s, eps](const std::vector<mx::array>& p) {
        return std::vector<mx::array>{StockLayerNorm(p[0], p[1], p[2], eps, s)};
      };
      auto b = mx::zeros({n}, mx::float32, s);
      auto x = in.size() > 3 ? mx::add(in[0], in[3], s) : in[0];
      return mx::vjp(fn, {x, in[1], b}, {in[2]}).second;
    };
    std::vector<mx::array> cts;
    for (const auto& c : cotangents) cts.push_back(c);
    auto all = mx::vjp(grads_of, primals, cts).second;
    std::vector<mx::array> grads;
    for (int a : argnums) grads.push_back(all[a]);
    return grads;
  }

  const char* name() const override { return "FusedLayerNormGrad"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const LayerNormGradPrimitive*>(&other);
    return o != nullptr && o->eps_ == eps_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    return {inputs[0].shape(), inputs[1].shape(), inputs[1].shape()};
  }

 private:
  float eps_;
};

std::vector<mx::array> LayerNormPrimitive::vjp(const std::vector<mx::array>& primals,
                                               const std::vector<mx::array>& cotangents,
                                               const std::vector<int>& argnums, const std::vector<mx::array>&) {
  auto s = stream();
  auto g = cotangents[0];
  if (g.dtype() != mx::float32 || g.shape() != primals[0].shape()) {
    g = mx::astype(mx::broadcast_to(g, primals[0].shape(), s), mx::float32, s);
  }
  std::vector<mx::array> in{primals[0], primals[1], g};
  if (primals.size() > 3) in.push_back(primals[3]);
  auto outs = mx::array::make_arrays({primals[0].shape(), primals[1].shape(), primals[1].shape()},
                                     {mx::float32, mx::float32, mx::float32},
                                     std::make_shared<LayerNormGradPrimitive>(s, eps_), in);
  std::vector<mx::array> grads;
  for (int a : argnums) grads.push_back(outs[a == 3 ? 0 : a]);  // x + residual: the residual's gradient is x's
  return grads;
}

}  // namespace

mx::array FusedLayerNorm(const mx::array& x, const std::optional<mx::array>& weight,
                         const std::optional<mx::array>& bias, float eps, const std::optional<mx::array>& residual,
                         mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  if (residual && (residual->shape() != x.shape() || residual->dtype() != x.dtype())) {
    // Broadcasting or promoting residuals take the add as MLX spells it, then the norm.
    return FusedLayerNorm(mx::add(x, *residual, stream), weight, bias, eps, std::nullopt, stream);
  }
  auto is_vector = [&](const std::optional<mx::array>& a) {
    return a && a->dtype() == mx::float32 && a->ndim() == 1 && a->shape(0) == x.shape(-1);
  };
  bool fused = UsesKernel(x, stream) && x.ndim() >= 1 && x.shape(-1) > 0 && is_vector(weight) &&
               (!bias || is_vector(bias));
  if (!fused) return StockLayerNorm(residual ? mx::add(x, *residual, stream) : x, weight, bias, eps, stream);
  // No bias (ModernBERT's norms): a zero one, whose gradient nobody asks for.
  auto b = bias ? mx::contiguous(*bias, false, stream) : mx::zeros({x.shape(-1)}, mx::float32, stream);
  std::vector<mx::array> inputs{x, mx::contiguous(*weight, false, stream), b};
  if (residual) inputs.push_back(*residual);
  return mx::array(x.shape(), mx::float32, std::make_shared<LayerNormPrimitive>(stream, eps), std::move(inputs));
}

}  // namespace mlxt
