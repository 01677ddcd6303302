// See heads.h. Both directions are one kernel: each (batch, token) row of H·D floats maps to H blocks of
// D contiguous floats, T·D apart in the heads layout; rows are split over the pool.
#include "heads.h"

#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

struct HeadsArgs {
  FloatInput input;
  const float* x;
  float* y;
  std::size_t tokens, heads, dims;  // T, H, D
  bool split;                       // [B, T, H·D] → [B, H, T, D], else the reverse
  // The input's element strides seen as [B, H, T, D], whichever direction: a transposed input (the
  // gradient of a swapaxes'd key) is read as it is, D floats at a time, memcpy when they are adjacent.
  int64_t sb, sh, st, sd;
};

// Rows [begin, end) of B·T (batch, token) rows.
void HeadsRows(std::size_t begin, std::size_t end, void* ctx) {
  const auto& a = *static_cast<const HeadsArgs*>(ctx);
  for (std::size_t r = begin; r < end; ++r) {
    const int64_t b = static_cast<int64_t>(r / a.tokens), t = static_cast<int64_t>(r % a.tokens);
    for (std::size_t h = 0; h < a.heads; ++h) {
      const float* src = a.x + b * a.sb + static_cast<int64_t>(h) * a.sh + t * a.st;
      float* dst = a.split ? a.y + ((b * a.heads + h) * a.tokens + t) * a.dims  // (b, h, t, 0) in [B, H, T, D]
                           : a.y + (r * a.heads + h) * a.dims;                   // (b, t, h·D) in [B, T, H·D]
      if (a.sd == 1) {
        std::memcpy(dst, src, a.dims * sizeof(float));
      } else {
        for (std::size_t d = 0; d < a.dims; ++d) dst[d] = src[static_cast<int64_t>(d) * a.sd];
      }
    }
  }
}

mx::Shape SplitShape(const mx::Shape& s, int heads) {
  mx::Shape out(s.begin(), s.end() - 2);
  out.insert(out.end(), {heads, s[s.size() - 2], s.back() / heads});
  return out;
}

mx::Shape MergeShape(const mx::Shape& s) {
  mx::Shape out(s.begin(), s.end() - 3);
  out.insert(out.end(), {s[s.size() - 2], s[s.size() - 3] * s.back()});
  return out;
}

mx::array StockSplit(const mx::array& x, int heads, mx::StreamOrDevice s) {
  mx::Shape shape(x.shape().begin(), x.shape().end() - 1);
  shape.insert(shape.end(), {heads, x.shape(-1) / heads});
  return mx::swapaxes(mx::reshape(x, shape, s), -3, -2, s);  // [..., T, H, D] → [..., H, T, D]
}

mx::array StockMerge(const mx::array& x, mx::StreamOrDevice s) {
  auto t = mx::swapaxes(x, -3, -2, s);  // [..., T, H, D]
  return mx::reshape(t, MergeShape(x.shape()), s);
}

class HeadsPrimitive : public mx::UnaryPrimitive {
 public:
  HeadsPrimitive(mx::Stream stream, int heads, bool split) : mx::UnaryPrimitive(stream), heads_(heads), split_(split) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& x = inputs[0];
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(x);
    encoder.set_output_array(out);
    const auto& s = x.shape();
    std::size_t n = s.size();
    std::size_t h = static_cast<std::size_t>(split_ ? heads_ : s[n - 3]);
    std::size_t t = static_cast<std::size_t>(s[n - 2]);
    std::size_t d = static_cast<std::size_t>(split_ ? s[n - 1] / heads_ : s[n - 1]);
    HeadsArgs args{FloatInput::Of(x), nullptr, out.data<float>(), t, h, d, split_, 0, 0, 0, 0};
    // The exact ranks attention uses ([B, T, H·D] in, [B, H, T, D] back) are read through their strides;
    // other ranks through a row-major copy first (their leading axes need not collapse into one stride).
    const auto& st = x.strides();
    bool strided = n == (split_ ? 3u : 4u);
    if (split_ && strided) {
      args.sb = st[0], args.sh = static_cast<int64_t>(d) * st[2], args.st = st[1], args.sd = st[2];
    } else if (strided) {
      args.sb = st[0], args.sh = st[1], args.st = st[2], args.sd = st[3];
    }
    if (!strided) {  // row-major strides of the copy Rows() makes
      args.sd = 1, args.st = split_ ? static_cast<int64_t>(h * d) : static_cast<int64_t>(d);
      args.sh = split_ ? static_cast<int64_t>(d) : static_cast<int64_t>(t * d);
      args.sb = static_cast<int64_t>(t * h * d);
    }
    std::size_t rows = h * d == 0 ? 0 : x.size() / (h * d);  // B·T
    encoder.dispatch([args = std::move(args), rows, strided]() mutable {
      std::vector<float> scratch;
      args.x = strided ? args.input.data : args.input.Rows(scratch);
      ParallelFor(rows, RowGrain(args.heads * args.dims), HeadsRows, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedHeads has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // A permutation: its vjp is the inverse permutation, its jvp the same one.
  std::vector<mx::array> vjp(const std::vector<mx::array>&, const std::vector<mx::array>& cotangents,
                             const std::vector<int>&, const std::vector<mx::array>&) override {
    return {split_ ? FusedMergeHeads(cotangents[0], stream()) : FusedSplitHeads(cotangents[0], heads_, stream())};
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>&, const std::vector<mx::array>& tangents,
                             const std::vector<int>&) override {
    return {split_ ? FusedSplitHeads(tangents[0], heads_, stream()) : FusedMergeHeads(tangents[0], stream())};
  }

  const char* name() const override { return split_ ? "FusedSplitHeads" : "FusedMergeHeads"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const HeadsPrimitive*>(&other);
    return o != nullptr && o->heads_ == heads_ && o->split_ == split_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    return {split_ ? SplitShape(inputs[0].shape(), heads_) : MergeShape(inputs[0].shape())};
  }

 private:
  int heads_;
  bool split_;
};

}  // namespace

mx::array FusedSplitHeads(const mx::array& x, int heads, mx::StreamOrDevice s) {
  if (x.ndim() < 2 || heads <= 0 || x.shape(-1) % heads != 0) {
    std::ostringstream msg;
    msg << "fused.splitHeads: expected x of shape [..., tokens, heads·dims] with the last axis divisible by " << heads
        << " heads but received shape " << x.shape();
    throw std::invalid_argument(msg.str());
  }
  auto stream = mx::to_stream(s);
  if (!UsesKernel(x, stream)) return StockSplit(x, heads, stream);
  return mx::array(SplitShape(x.shape(), heads), mx::float32, std::make_shared<HeadsPrimitive>(stream, heads, true), {x});
}

mx::array FusedMergeHeads(const mx::array& x, mx::StreamOrDevice s) {
  if (x.ndim() < 3) {
    std::ostringstream msg;
    msg << "fused.mergeHeads: expected x of shape [..., heads, tokens, dims] but received shape " << x.shape();
    throw std::invalid_argument(msg.str());
  }
  auto stream = mx::to_stream(s);
  if (!UsesKernel(x, stream)) return StockMerge(x, stream);
  return mx::array(MergeShape(x.shape()), mx::float32, std::make_shared<HeadsPrimitive>(stream, x.shape(-3), false), {x});
}

}  // namespace mlxt
