// Fused masked softmax primitives (see softmax.h). Each row of the last axis is independent, so rows are
// split over the pool; within a row, max, exp-and-sum and scale are three vectorised sweeps over data that
// stays in L1.
#include "softmax.h"

#include <limits>
#include <memory>
#include <vector>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")

constexpr int kLanes = kV16Lanes;  // independent accumulators, so the reductions vectorise without fast-math

// y = softmax(x + m) over one row of n; m may be null. Masked entries (e^(−huge)) come out exactly 0.
// x and y may be the same buffer (a donated input): each element is read before it is written.
MLXT_SIMD_CLONES void SoftmaxRow(const float* x, const float* __restrict m, float* y, std::size_t n) {
  V16 lane_max = V16{} - std::numeric_limits<float>::infinity();
  std::size_t i = 0;
  if (m != nullptr) {
    for (; i + kLanes <= n; i += kLanes) {
      V16 v = Load16(x + i) + Load16(m + i);
      Store16(y + i, v);
      lane_max = LaneMax(v, lane_max);
    }
    for (; i < n; ++i) {
      y[i] = x[i] + m[i];
      lane_max[0] = y[i] > lane_max[0] ? y[i] : lane_max[0];
    }
  } else {
    for (; i + kLanes <= n; i += kLanes) {
      V16 v = Load16(x + i);
      Store16(y + i, v);
      lane_max = LaneMax(v, lane_max);
    }
    for (; i < n; ++i) {
      y[i] = x[i];
      lane_max[0] = x[i] > lane_max[0] ? x[i] : lane_max[0];
    }
  }
  float mx_ = lane_max[0];
  for (int j = 1; j < kLanes; ++j) mx_ = lane_max[j] > mx_ ? lane_max[j] : mx_;
  // The exponentials as a plain elementwise loop (which vectorises), then their sum in lanes.
  for (i = 0; i < n; ++i) {
    float d = y[i] - mx_;
    float e = ExpF(d);
    y[i] = d < -87.3f ? 0.0f : e;
  }
  V16 lane_sum = {};
  for (i = 0; i + kLanes <= n; i += kLanes) lane_sum += Load16(y + i);
  for (; i < n; ++i) lane_sum[0] += y[i];
  float inv = 1.0f / LaneSum(lane_sum);
  for (i = 0; i < n; ++i) y[i] *= inv;
}

// dx = y·(g − Σ g·y) over one row.
MLXT_SIMD_CLONES void SoftmaxGradRow(const float* __restrict y, const float* g, float* dx, std::size_t n) {
  V16 lane_dot = {};
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) lane_dot += Load16(g + i) * Load16(y + i);
  for (; i < n; ++i) lane_dot[0] += g[i] * y[i];
  float dot = LaneSum(lane_dot);
  for (i = 0; i < n; ++i) dx[i] = y[i] * (g[i] - dot);
}

#pragma GCC pop_options

namespace {

// Where a row's mask starts: the mask input is x's shape broadcast (stride 0 on broadcast axes).
struct MaskIndex {
  std::vector<int> shape;         // leading dims (all but the last)
  std::vector<int64_t> strides;   // the mask's strides over them
  int64_t last_stride;

  std::size_t RowOffset(std::size_t row) const {
    int64_t off = 0;
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      off += static_cast<int64_t>(row % shape[d]) * strides[d];
      row /= shape[d];
    }
    return static_cast<std::size_t>(off);
  }
};

struct ForwardArgs {
  FloatInput input;
  const float* x;  // row-major, set in the task
  const float* mask;  // null without a mask
  MaskIndex index;
  float* y;
  std::size_t n;
};

void ForwardRows(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<ForwardArgs*>(ctx);
  std::vector<float> gathered;  // a mask row with a non-unit last stride, copied contiguous
  for (std::size_t r = begin; r < end; ++r) {
    const float* m = nullptr;
    if (a.mask != nullptr) {
      m = a.mask + a.index.RowOffset(r);
      if (a.index.last_stride != 1) {
        gathered.resize(a.n);
        for (std::size_t i = 0; i < a.n; ++i) gathered[i] = m[i * a.index.last_stride];
        m = gathered.data();
      }
    }
    SoftmaxRow(a.x + r * a.n, m, a.y + r * a.n, a.n);
  }
}

struct BackwardArgs {
  FloatInput y_input, g_input;
  const float* y;  // row-major, set in the task
  const float* g;
  float* dx;
  std::size_t n;
};

void BackwardRows(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<BackwardArgs*>(ctx);
  for (std::size_t r = begin; r < end; ++r) SoftmaxGradRow(a.y + r * a.n, a.g + r * a.n, a.dx + r * a.n, a.n);
}

// ---- Stock compositions ---------------------------------------------------------------------------------

mx::array AdditiveMask(const mx::array& mask, mx::Dtype dtype, mx::StreamOrDevice s) {
  if (mask.dtype() != mx::bool_) return mx::astype(mask, dtype, s);
  return mx::where(mask, mx::array(0.0f, dtype), mx::array(std::numeric_limits<float>::lowest(), dtype), s);
}

mx::array StockMaskedSoftmax(const mx::array& x, const std::optional<mx::array>& mask, mx::StreamOrDevice s) {
  return mx::softmax(mask ? mx::add(x, AdditiveMask(*mask, x.dtype(), s), s) : x, -1, true, s);
}

mx::array StockSoftmaxGrad(const mx::array& y, const mx::array& g, mx::StreamOrDevice s) {
  return mx::multiply(y, mx::subtract(g, mx::sum(mx::multiply(g, y, s), -1, true, s), s), s);
}

mx::array FusedSoftmaxGrad(const mx::array& y, const mx::array& g, mx::Stream s);

// ---- Primitives ----------------------------------------------------------------------------------------

class MaskedSoftmaxPrimitive : public mx::UnaryPrimitive {
 public:
  explicit MaskedSoftmaxPrimitive(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  // inputs: x (float32, any layout) and optionally the mask, float32 broadcast to x's shape
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& x = inputs[0];
    AllocateLike(out, x);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(x);
    ForwardArgs args{FloatInput::Of(x), nullptr, nullptr, {}, out.data<float>(), static_cast<std::size_t>(x.shape(-1))};
    if (inputs.size() > 1) {
      const auto& m = inputs[1];
      if (m.dtype() != mx::float32) throw std::runtime_error("FusedMaskedSoftmax: the mask must be float32");
      encoder.set_input_array(m);
      args.mask = m.data<float>();
      args.index.shape.assign(m.shape().begin(), m.shape().end() - 1);
      args.index.strides.assign(m.strides().begin(), m.strides().end() - 1);
      args.index.last_stride = m.strides().back();
    }
    encoder.set_output_array(out);
    std::size_t rows = args.n == 0 ? 0 : x.size() / args.n;
    encoder.dispatch([args = std::move(args), rows]() mutable {
      std::vector<float> scratch;
      args.x = args.input.Rows(scratch);
      ParallelFor(rows, RowGrain(args.n), ForwardRows, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedMaskedSoftmax has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // An additive mask's gradient is x's (the broadcast's own vjp sums it back to the mask's shape).
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>& outputs) override {
    auto dx = FusedSoftmaxGrad(outputs[0], cotangents[0], stream());
    return std::vector<mx::array>(argnums.size(), dx);
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    auto t = tangents[0];
    for (std::size_t i = 1; i < tangents.size(); ++i) t = mx::add(t, tangents[i], stream());
    auto y = mx::array(primals[0].shape(), mx::float32, std::make_shared<MaskedSoftmaxPrimitive>(stream()), primals);
    return {FusedSoftmaxGrad(y, t, stream())};
  }

  const char* name() const override { return "FusedMaskedSoftmax"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const MaskedSoftmaxPrimitive*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }
};

class SoftmaxGradPrimitive : public mx::UnaryPrimitive {
 public:
  explicit SoftmaxGradPrimitive(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  // inputs: y (the softmax), g (the cotangent), float32 of one shape, any layout
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& y = inputs[0];
    const auto& g = inputs[1];
    AllocateLike(out, g);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(y);
    encoder.set_input_array(g);
    encoder.set_output_array(out);
    std::size_t n = y.ndim() == 0 ? 1 : static_cast<std::size_t>(y.shape(-1));
    std::size_t rows = n == 0 ? 0 : y.size() / n;
    BackwardArgs args{FloatInput::Of(y), FloatInput::Of(g), nullptr, nullptr, out.data<float>(), n};
    encoder.dispatch([args = std::move(args), rows]() mutable {
      std::vector<float> y_scratch, g_scratch;
      args.y = args.y_input.Rows(y_scratch);
      args.g = args.g_input.Rows(g_scratch);
      ParallelFor(rows, RowGrain(args.n), BackwardRows, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedSoftmaxGrad has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // Second order through the stock composition of the same formula.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    auto s = stream();
    auto fn = [s](const std::vector<mx::array>& in) { return std::vector<mx::array>{StockSoftmaxGrad(in[0], in[1], s)}; };
    auto all = mx::vjp(fn, primals, cotangents).second;
    std::vector<mx::array> grads;
    for (int a : argnums) grads.push_back(all[a]);
    return grads;
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    auto s = stream();
    auto fn = [s](const std::vector<mx::array>& in) { return std::vector<mx::array>{StockSoftmaxGrad(in[0], in[1], s)}; };
    std::vector<mx::array> full;
    for (std::size_t i = 0; i < primals.size(); ++i) full.push_back(mx::zeros_like(primals[i], s));
    for (std::size_t i = 0; i < argnums.size(); ++i) full[argnums[i]] = tangents[i];
    return mx::jvp(fn, primals, full).second;
  }

  const char* name() const override { return "FusedSoftmaxGrad"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const SoftmaxGradPrimitive*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }
};

mx::array FusedSoftmaxGrad(const mx::array& y, const mx::array& g, mx::Stream s) {
  if (g.dtype() != mx::float32 || g.shape() != y.shape()) return StockSoftmaxGrad(y, g, s);
  return mx::array(y.shape(), mx::float32, std::make_shared<SoftmaxGradPrimitive>(s), {y, g});
}

}  // namespace

mx::array FusedMaskedSoftmax(const mx::array& x, const std::optional<mx::array>& mask, mx::StreamOrDevice s) {
  CheckFloating(x, "fused.maskedSoftmax", "x");
  auto stream = mx::to_stream(s);
  if (mask && mask->dtype() != mx::bool_) CheckFloating(*mask, "fused.maskedSoftmax", "mask");
  if (mask) {
    auto shape = mx::broadcast_shapes(x.shape(), mask->shape());  // throws naming both shapes
    if (shape != x.shape()) {
      std::ostringstream msg;
      msg << "fused.maskedSoftmax: the mask of shape " << mask->shape() << " does not broadcast to x's shape "
          << x.shape();
      throw std::invalid_argument(msg.str());
    }
  }
  if (!UsesKernel(x, stream) || x.ndim() == 0 || (mask && mask->dtype() != mx::bool_ && mask->dtype() != mx::float32)) {
    return StockMaskedSoftmax(x, mask, stream);
  }
  std::vector<mx::array> inputs{x};
  if (mask) inputs.push_back(mx::broadcast_to(AdditiveMask(*mask, mx::float32, stream), x.shape(), stream));
  return mx::array(x.shape(), mx::float32, std::make_shared<MaskedSoftmaxPrimitive>(stream), std::move(inputs));
}

}  // namespace mlxt
