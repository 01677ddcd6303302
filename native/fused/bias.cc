// See bias.h. The column sum is accumulated per block of rows (a fixed partition, so the result does not
// depend on which thread ran which block), then the block sums are added in block order.
#include "bias.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

struct AddArgs {
  FloatInput input;
  const float* x;  // row-major, set in the task
  const float* b;
  float* y;
  std::size_t n;
};

// x and y may share a buffer (a donated input): each element is read before it is written.
MLXT_SIMD_CLONES void AddRows(std::size_t begin, std::size_t end, void* ctx) {
  const auto& a = *static_cast<const AddArgs*>(ctx);
  const float* __restrict b = a.b;
  for (std::size_t r = begin; r < end; ++r) {
    const float* x = a.x + r * a.n;
    float* y = a.y + r * a.n;
    for (std::size_t i = 0; i < a.n; ++i) y[i] = x[i] + b[i];
  }
}

struct SumArgs {
  FloatInput input;
  const float* g;  // row-major, set in the task
  float* partial;  // [blocks, n]
  std::size_t n, rows, rows_per_block;
};

MLXT_SIMD_CLONES void SumBlocks(std::size_t begin, std::size_t end, void* ctx) {
  const auto& a = *static_cast<const SumArgs*>(ctx);
  for (std::size_t blk = begin; blk < end; ++blk) {
    float* __restrict acc = a.partial + blk * a.n;
    std::fill(acc, acc + a.n, 0.0f);
    std::size_t r_end = std::min(a.rows, (blk + 1) * a.rows_per_block);
    for (std::size_t r = blk * a.rows_per_block; r < r_end; ++r) {
      const float* __restrict g = a.g + r * a.n;
      for (std::size_t i = 0; i < a.n; ++i) acc[i] += g[i];
    }
  }
}

mx::array StockBiasGrad(const mx::array& g, mx::Stream s) {
  std::vector<int> axes(g.ndim() - 1);
  for (std::size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int>(i);
  return axes.empty() ? g : mx::sum(g, axes, false, s);
}

class BiasAddPrimitive : public mx::UnaryPrimitive {
 public:
  explicit BiasAddPrimitive(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  // inputs: x (float32, any layout), bias [n] (row-contiguous float32)
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto &x = inputs[0], &b = inputs[1];
    CheckKernelInput(b, name());
    AllocateLike(out, x);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(x);
    encoder.set_input_array(b);
    encoder.set_output_array(out);
    std::size_t n = static_cast<std::size_t>(x.shape(-1));
    std::size_t rows = n == 0 ? 0 : x.size() / n;
    AddArgs args{FloatInput::Of(x), nullptr, b.data<float>(), out.data<float>(), n};
    encoder.dispatch([args = std::move(args), rows]() mutable {
      std::vector<float> scratch;
      args.x = args.input.Rows(scratch);
      ParallelFor(rows, RowGrain(args.n), AddRows, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedBiasAdd has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    auto s = stream();
    auto g = cotangents[0];
    if (g.dtype() != mx::float32 || g.shape() != primals[0].shape()) {
      g = mx::astype(mx::broadcast_to(g, primals[0].shape(), s), mx::float32, s);
    }
    std::vector<mx::array> grads;
    for (int a : argnums) grads.push_back(a == 0 ? g : FusedBiasGrad(g, s));
    return grads;
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    auto s = stream();
    std::optional<mx::array> t;
    for (std::size_t i = 0; i < argnums.size(); ++i) {
      auto ti = mx::broadcast_to(tangents[i], primals[0].shape(), s);
      t = t ? mx::add(*t, ti, s) : ti;
    }
    return {*t};
  }

  const char* name() const override { return "FusedBiasAdd"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const BiasAddPrimitive*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }
};

class BiasGradPrimitive : public mx::UnaryPrimitive {
 public:
  explicit BiasGradPrimitive(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& g = inputs[0];
    out.set_data(mx::allocator::malloc(out.nbytes()));
    std::size_t n = static_cast<std::size_t>(g.shape(-1));
    std::size_t rows = n == 0 ? 0 : g.size() / n;
    // Blocks of whole rows, about 16K floats each; at most 256 blocks so the final sum stays small.
    std::size_t per_block = std::max<std::size_t>(RowGrain(n), (rows + 255) / 256);
    std::size_t blocks = rows == 0 ? 0 : (rows + per_block - 1) / per_block;
    mx::array partial({static_cast<int>(std::max<std::size_t>(blocks, 1)), static_cast<int>(n)}, mx::float32, nullptr, {});
    partial.set_data(mx::allocator::malloc(partial.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(g);
    encoder.set_output_array(out);
    SumArgs args{FloatInput::Of(g), nullptr, partial.data<float>(), n, rows, per_block};
    encoder.dispatch([args = std::move(args), blocks, outp = out.data<float>()]() mutable {
      std::vector<float> scratch;
      args.g = args.input.Rows(scratch);
      ParallelFor(blocks, 1, SumBlocks, &args);
      std::fill(outp, outp + args.n, 0.0f);
      for (std::size_t blk = 0; blk < blocks; ++blk) {
        const float* p = args.partial + blk * args.n;
        for (std::size_t i = 0; i < args.n; ++i) outp[i] += p[i];
      }
    });
    encoder.add_temporary(std::move(partial));
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedBiasGrad has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // A sum over the leading axes: its vjp broadcasts the cotangent back, its jvp sums the tangent.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>&, const std::vector<mx::array>&) override {
    return {mx::broadcast_to(cotangents[0], primals[0].shape(), stream())};
  }
  std::vector<mx::array> jvp(const std::vector<mx::array>&, const std::vector<mx::array>& tangents,
                             const std::vector<int>&) override {
    return {FusedBiasGrad(tangents[0], stream())};
  }

  const char* name() const override { return "FusedBiasGrad"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const BiasGradPrimitive*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    return {mx::Shape{inputs[0].shape(-1)}};
  }
};

}  // namespace

mx::array FusedBiasAdd(const mx::array& x, const mx::array& bias, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  bool fused = UsesKernel(x, stream) && x.ndim() >= 1 && x.shape(-1) > 0 && bias.dtype() == mx::float32 &&
               bias.ndim() == 1 && bias.shape(0) == x.shape(-1);
  if (!fused) return mx::add(x, bias, stream);
  return mx::array(x.shape(), mx::float32, std::make_shared<BiasAddPrimitive>(stream),
                   {x, mx::contiguous(bias, false, stream)});
}

mx::array FusedBiasGrad(const mx::array& g, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  if (g.ndim() < 1) {
    std::ostringstream msg;
    msg << "fused.biasGrad: expected an array of at least one axis but received shape " << g.shape();
    throw std::invalid_argument(msg.str());
  }
  if (!UsesKernel(g, stream) || g.shape(-1) == 0) return StockBiasGrad(g, stream);
  return mx::array({g.shape(-1)}, mx::float32, std::make_shared<BiasGradPrimitive>(stream), {g});
}

}  // namespace mlxt
