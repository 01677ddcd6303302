// Fused dropout (see dropout.h). The Threefry-2x32 hash (20 rounds; Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC'11) is written from the published algorithm as straight-line uint32
// arithmetic over independent counters, so each chunk's loop vectorises.
#include "dropout.h"

#include <limits>
#include <memory>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "mlx/random.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

MLXT_INLINE uint32_t Rotl(uint32_t v, int r) { return (v << r) | (v >> (32 - r)); }

// The Threefry-2x32 block for counter (c0, c1) under key (k0, k1); returns both output words.
MLXT_INLINE void Threefry(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t& o0, uint32_t& o1) {
  const uint32_t k2 = 0x1BD11BDAu ^ k0 ^ k1;
  const uint32_t ks[3] = {k0, k1, k2};
  uint32_t x0 = c0 + k0;
  uint32_t x1 = c1 + k1;
#define MLXT_ROUND(r) x0 += x1; x1 = Rotl(x1, r); x1 ^= x0;
#define MLXT_INJECT(i) x0 += ks[(i) % 3]; x1 += ks[((i) + 1) % 3] + (i);
  MLXT_ROUND(13) MLXT_ROUND(15) MLXT_ROUND(26) MLXT_ROUND(6) MLXT_INJECT(1)
  MLXT_ROUND(17) MLXT_ROUND(29) MLXT_ROUND(16) MLXT_ROUND(24) MLXT_INJECT(2)
  MLXT_ROUND(13) MLXT_ROUND(15) MLXT_ROUND(26) MLXT_ROUND(6) MLXT_INJECT(3)
  MLXT_ROUND(17) MLXT_ROUND(29) MLXT_ROUND(16) MLXT_ROUND(24) MLXT_INJECT(4)
  MLXT_ROUND(13) MLXT_ROUND(15) MLXT_ROUND(26) MLXT_ROUND(6) MLXT_INJECT(5)
#undef MLXT_ROUND
#undef MLXT_INJECT
  o0 = x0;
  o1 = x1;
}

// mx::random::bits lays n words out as pairs: counter (j, half + odd + j) gives words j and half + odd + j
// for j < half = n / 2, and an odd n's middle word is the first output of counter (half, 0).
// bernoulli compares each word, converted to float32, with keep · nextafter(2^32 − 1, +inf) in float32.
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")

MLXT_SIMD_CLONES void DropoutPairs(const float* __restrict x, float* __restrict y, std::size_t begin, std::size_t end,
                                   std::size_t second, uint32_t k0, uint32_t k1, float threshold, float scale) {
  for (std::size_t j = begin; j < end; ++j) {
    uint32_t b0, b1;
    Threefry(k0, k1, static_cast<uint32_t>(j), static_cast<uint32_t>(second + j), b0, b1);
    float m0 = static_cast<float>(b0) < threshold ? 1.0f : 0.0f;
    float m1 = static_cast<float>(b1) < threshold ? 1.0f : 0.0f;
    y[j] = m0 * x[j] * scale;
    y[second + j] = m1 * x[second + j] * scale;
  }
}

// The mask alone: word j's keep bit times scale, laid out as DropoutPairs reads its words.
MLXT_SIMD_CLONES void MaskPairs(float* __restrict y, std::size_t begin, std::size_t end, std::size_t second, uint32_t k0,
                                uint32_t k1, float threshold, float scale) {
  for (std::size_t j = begin; j < end; ++j) {
    uint32_t b0, b1;
    Threefry(k0, k1, static_cast<uint32_t>(j), static_cast<uint32_t>(second + j), b0, b1);
    y[j] = static_cast<float>(b0) < threshold ? scale : 0.0f;
    y[second + j] = static_cast<float>(b1) < threshold ? scale : 0.0f;
  }
}

#pragma GCC pop_options

struct Args {
  const float* x;
  float* y;
  std::size_t second;  // index of counter j's second word: half + (n odd)
  uint32_t k0, k1;
  float threshold, scale;
};

void RunRange(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<Args*>(ctx);
  if (a.x == nullptr) {
    MaskPairs(a.y, begin, end, a.second, a.k0, a.k1, a.threshold, a.scale);
  } else {
    DropoutPairs(a.x, a.y, begin, end, a.second, a.k0, a.k1, a.threshold, a.scale);
  }
}

// Fills y (n words; x null: the mask alone) from key (k0, k1): the pairs over the pool, an odd n's middle
// word from counter (half, 0).
void RunDropout(Args args, std::size_t n, const uint32_t* kp, int64_t kstride) {
  std::size_t half = n / 2;
  args.second = half + (n % 2);
  args.k0 = kp[0];
  args.k1 = kp[kstride];
  ParallelFor(half, 8192, RunRange, &args);
  if (n % 2 == 1) {
    uint32_t b0, b1;
    Threefry(args.k0, args.k1, static_cast<uint32_t>(half), 0, b0, b1);
    float m = static_cast<float>(b0) < args.threshold ? args.scale : 0.0f;
    args.y[half] = args.x == nullptr ? m : m * args.x[half];
  }
}

// The op builders' argument checks.
void CheckKey(const mx::array& key, const char* op) {
  if (key.dtype() != mx::uint32 || key.shape() != mx::Shape{2}) {
    std::ostringstream msg;
    msg << op << ": expected a uint32 key of shape (2) but received " << key.dtype() << " " << key.shape();
    throw std::invalid_argument(msg.str());
  }
}

void CheckKeep(float keep, const char* op) {
  if (!(keep > 0.0f && keep <= 1.0f)) {
    throw std::invalid_argument(std::string(op) + ": the keep probability must be in (0, 1] but received " + std::to_string(keep));
  }
}

float Threshold(float keep) {
  float upper = std::nextafter(static_cast<float>(std::numeric_limits<uint32_t>::max()), std::numeric_limits<float>::max());
  return keep * upper;
}

mx::array StockDropout(const mx::array& x, float keep, float scale, const mx::array& key, mx::Stream s) {
  auto mask = mx::random::bernoulli(mx::array(keep, mx::float32), x.shape(), key, s);
  return mx::multiply(mx::multiply(mask, x, s), mx::array(scale, x.dtype()), s);
}

class DropoutPrimitive : public mx::UnaryPrimitive {
 public:
  DropoutPrimitive(mx::Stream stream, float keep, float scale) : mx::UnaryPrimitive(stream), keep_(keep), scale_(scale) {}

  // inputs: x (row-contiguous float32), key (uint32[2])
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& x = inputs[0];
    const auto& key = inputs[1];
    CheckKernelInput(x, name());
    AllocateLike(out, x);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(x);
    encoder.set_input_array(key);
    encoder.set_output_array(out);
    Args args{x.data<float>(), out.data<float>(), 0, 0, 0, Threshold(keep_), scale_};
    // The key's words are read in the task: the kernel that computes them (a split) may not have run yet.
    encoder.dispatch([args, n = x.size(), kp = key.data<uint32_t>(), kstride = key.strides()[0]]() {
      RunDropout(args, n, kp, kstride);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedDropout has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // Linear in x with a fixed mask: the gradient (and tangent) is the same dropout of the cotangent; the
  // key gets none.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    std::vector<mx::array> grads;
    for (int a : argnums) {
      grads.push_back(a == 0 ? FusedDropout(cotangents[0], keep_, scale_, primals[1], stream())
                             : mx::zeros_like(primals[1], stream()));
    }
    return grads;
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    for (std::size_t i = 0; i < argnums.size(); ++i) {
      if (argnums[i] == 0) return {FusedDropout(tangents[i], keep_, scale_, primals[1], stream())};
    }
    return {mx::zeros_like(primals[0], stream())};
  }

  const char* name() const override { return "FusedDropout"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const DropoutPrimitive*>(&other);
    return o != nullptr && o->keep_ == keep_ && o->scale_ == scale_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }

 private:
  float keep_;
  float scale_;
};

class DropoutMaskPrimitive : public mx::UnaryPrimitive {
 public:
  DropoutMaskPrimitive(mx::Stream stream, float keep, float scale, mx::Shape shape)
      : mx::UnaryPrimitive(stream), keep_(keep), scale_(scale), shape_(std::move(shape)) {}

  // inputs: key (uint32[2])
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto& key = inputs[0];
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(key);
    encoder.set_output_array(out);
    Args args{nullptr, out.data<float>(), 0, 0, 0, Threshold(keep_), scale_};
    encoder.dispatch([args, n = out.size(), kp = key.data<uint32_t>(), kstride = key.strides()[0]]() {
      RunDropout(args, n, kp, kstride);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedDropoutMask has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // A draw: nothing flows back to the key.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>&,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    return std::vector<mx::array>(argnums.size(), mx::zeros_like(primals[0], stream()));
  }
  std::vector<mx::array> jvp(const std::vector<mx::array>&, const std::vector<mx::array>&,
                             const std::vector<int>&) override {
    return {mx::zeros(shape_, mx::float32, stream())};
  }

  const char* name() const override { return "FusedDropoutMask"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const DropoutMaskPrimitive*>(&other);
    return o != nullptr && o->keep_ == keep_ && o->scale_ == scale_ && o->shape_ == shape_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>&) override { return {shape_}; }

 private:
  float keep_;
  float scale_;
  mx::Shape shape_;
};

}  // namespace

mx::array FusedDropout(const mx::array& x, float keep, float scale, const std::optional<mx::array>& key_in,
                       mx::StreamOrDevice s) {
  CheckFloating(x, "fused.dropout", "x");
  CheckKeep(keep, "fused.dropout");
  auto stream = mx::to_stream(s);
  // The same draw from the global sequence that mx::random::bits makes when given no key.
  auto key = key_in ? *key_in : mx::random::KeySequence::default_().next();
  CheckKey(key, "fused.dropout");
  if (!UsesKernel(x, stream) || x.size() >= (std::size_t{1} << 32)) return StockDropout(x, keep, scale, key, stream);
  return mx::array(x.shape(), mx::float32, std::make_shared<DropoutPrimitive>(stream, keep, scale),
                   {mx::contiguous(x, false, stream), key});
}

mx::array DropoutMask(const mx::Shape& shape, float keep, float scale, const std::optional<mx::array>& key_in,
                      mx::StreamOrDevice s, bool stock) {
  CheckKeep(keep, "fused.dropoutMask");
  auto stream = mx::to_stream(s);
  auto key = key_in ? *key_in : mx::random::KeySequence::default_().next();
  CheckKey(key, "fused.dropoutMask");
  std::size_t n = 1;
  for (int d : shape) n *= static_cast<std::size_t>(d);
  if (stock || stream.device != mx::Device::cpu || n >= (std::size_t{1} << 32)) {
    auto mask = mx::random::bernoulli(mx::array(keep, mx::float32), shape, key, stream);
    return mx::multiply(mx::astype(mask, mx::float32, stream), mx::array(scale, mx::float32), stream);
  }
  return mx::array(shape, mx::float32, std::make_shared<DropoutMaskPrimitive>(stream, keep, scale, shape), {key});
}

}  // namespace mlxt
