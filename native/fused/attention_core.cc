// See attention_core.h. Per (batch, head) task, forward: S = scale·q·kᵀ into the probabilities' buffer,
// the masked softmax row by row in place, out = P·v. Backward: dv = Pᵀ·dout, dS = softmax'(P, dout·vᵀ),
// dq = scale·dS·k, dk = scale·dSᵀ·q. A boolean mask selects (as mx.fast does: a masked score's gradient
// is 0, so a row with every key masked gets no gradient); a float mask adds (its gradient is dS).
// Probability dropout takes a scaled keep mask D (0 or 1/keep, drawn by DropoutMask): the forward
// multiplies P·D by v and keeps P itself for the backward, which uses P·D for dv and scales the
// probabilities' gradient by D before the softmax's.
#include "attention_core.h"

#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "common.h"
#include "dropout.h"
#include "mlx/backend/common/utils.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"
#include "small_gemm.h"
#include "softmax.h"

namespace mlxt {

namespace {

constexpr float kLowest = std::numeric_limits<float>::lowest();

struct Dims {
  std::size_t b, h, tq, tk, d, dv;
};

// The mask input: float32 [B, H, Tq, Tk] as a broadcast view (stride 0 on broadcast axes).
struct MaskView {
  const float* data = nullptr;
  int64_t sb = 0, sh = 0, st = 0, ss = 1;

  static MaskView Of(const mx::array& m) {
    const auto& s = m.strides();
    return {m.data<float>(), s[0], s[1], s[2], s[3]};
  }
  // Row i of head (b, h), contiguous (copied into `gathered` when the last axis is strided).
  const float* Row(std::size_t b, std::size_t h, std::size_t i, std::size_t n, std::vector<float>& gathered) const {
    const float* m = data + b * sb + h * sh + i * st;
    if (ss == 1) return m;
    gathered.resize(n);
    for (std::size_t j = 0; j < n; ++j) gathered[j] = m[j * ss];
    return gathered.data();
  }
};

// What a primitive was built with: the scale, whether the mask selects (it came from a boolean one) or
// adds, and which optional inputs follow q, k, v (the mask, then the dropout mask D).
struct Options {
  float scale;
  bool select, has_mask, has_drop;

  bool operator==(const Options& o) const {
    return scale == o.scale && select == o.select && has_mask == o.has_mask && has_drop == o.has_drop;
  }
  // Index of the mask / D among the forward's inputs (q, k, v, mask, D); the backward's have P and dout
  // before them, 2 further on.
  std::size_t MaskAt() const { return 3; }
  std::size_t DropAt() const { return has_mask ? 4 : 3; }
};

// ---- Stock compositions (gradients of the mask, jvp, vmap, second order) --------------------------------

mx::array Scores(const mx::array& q, const mx::array& k, const std::optional<mx::array>& mask, float scale,
                 bool select, mx::Stream s) {
  auto scores = mx::matmul(mx::multiply(q, mx::array(scale, mx::float32), s), mx::swapaxes(k, -1, -2, s), s);
  if (!mask) return scores;
  if (select) return mx::where(mx::equal(*mask, mx::array(kLowest), s), mx::array(kLowest), scores, s);
  return mx::add(scores, *mask, s);
}

// {out, probabilities} from inputs q, k, v[, mask][, D].
std::vector<mx::array> StockForward(const std::vector<mx::array>& in, const Options& o, mx::Stream s) {
  std::optional<mx::array> mask;
  if (o.has_mask) mask = in[o.MaskAt()];
  auto p = mx::softmax(Scores(in[0], in[1], mask, o.scale, o.select, s), -1, true, s);
  auto used = o.has_drop ? mx::multiply(p, in[o.DropAt()], s) : p;
  return {mx::matmul(used, in[2], s), p};
}

// {dq, dk, dv} from inputs q, k, v, probabilities (unused: recomputed, so that every dependence on q and k
// goes through the stock graph), dout[, mask][, D].
std::vector<mx::array> StockBackward(const std::vector<mx::array>& in, const Options& o, mx::Stream s) {
  std::vector<mx::array> rest(in.begin() + 5, in.end());
  auto fn = [&](const std::vector<mx::array>& qkv) {
    std::vector<mx::array> all = qkv;
    all.insert(all.end(), rest.begin(), rest.end());
    return std::vector<mx::array>{StockForward(all, o, s)[0]};
  };
  return mx::vjp(fn, {in[0], in[1], in[2]}, {in[4]}).second;
}

using Stock = std::vector<mx::array> (*)(const std::vector<mx::array>&, const Options&, mx::Stream);

std::vector<mx::array> StockVjp(Stock f, const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                                const std::vector<int>& argnums, const Options& o, mx::Stream s) {
  auto fn = [&](const std::vector<mx::array>& in) { return f(in, o, s); };
  auto all = mx::vjp(fn, primals, cotangents).second;
  std::vector<mx::array> grads;
  for (int a : argnums) grads.push_back(all[a]);
  return grads;
}

std::vector<mx::array> StockJvp(Stock f, const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                                const std::vector<int>& argnums, const Options& o, mx::Stream s) {
  auto fn = [&](const std::vector<mx::array>& in) { return f(in, o, s); };
  std::vector<mx::array> full;
  for (const auto& p : primals) full.push_back(mx::zeros_like(p, s));
  for (std::size_t i = 0; i < argnums.size(); ++i) full[argnums[i]] = tangents[i];
  return mx::jvp(fn, primals, full).second;
}

// vmap: the batched axis first on every input (a new axis of 1 where it has none), then the stock
// composition, whose matmuls broadcast over the extra leading axis.
std::pair<std::vector<mx::array>, std::vector<int>> StockVmap(Stock f, const std::vector<mx::array>& inputs,
                                                              const std::vector<int>& axes, const Options& o,
                                                              mx::Stream s) {
  std::vector<mx::array> front;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    front.push_back(axes[i] >= 0 ? mx::moveaxis(inputs[i], axes[i], 0, s) : mx::expand_dims(inputs[i], 0, s));
  }
  auto out = f(front, o, s);
  return {out, std::vector<int>(out.size(), 0)};
}

// ---- Kernels -------------------------------------------------------------------------------------------

// A head's probabilities as v meets them: p itself without dropout (d null), else p·d elementwise over the
// head's n scores, written to `used`.
MLXT_INLINE const float* Dropped(const float* p, const float* d, std::vector<float>& used, std::size_t n) {
  if (d == nullptr) return p;
  for (std::size_t j = 0; j < n; ++j) used[j] = p[j] * d[j];
  return used.data();
}

// A [B, H, T, D] operand as the kernels read or write it: head (b, h)'s row t at data + b·sb + h·sh + t·st,
// D floats contiguous. Heads split off a projection's [B, T, H·D] rows (a reshape + transpose, no copy)
// are read where they lie; only an operand with a strided last axis is copied to row-major scratch.
template <class T>
struct HeadsOf {
  T* data = nullptr;
  int64_t sb = 0, sh = 0, st = 0;

  T* Head(std::size_t b, std::size_t h) const {
    return data + static_cast<int64_t>(b) * sb + static_cast<int64_t>(h) * sh;
  }
};
using HeadsIn = HeadsOf<const float>;
using HeadsOut = HeadsOf<float>;

// Head (b, h) of x as `rows` contiguous rows of `cols`: in place when they are, else packed into `buf`.
// Rows H·D floats apart all start in the same few cache sets (a multiple of 1 KB apart), so a matmul
// operand read once per block of the other would keep evicting itself; one pass packs it into L1/L2.
template <class T>
const float* Packed(const HeadsOf<T>& x, std::size_t b, std::size_t h, std::size_t rows, std::size_t cols,
                    std::vector<float>& buf) {
  const float* src = x.Head(b, h);
  if (x.st == static_cast<int64_t>(cols)) return src;
  buf.resize(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) std::memcpy(buf.data() + r * cols, src + static_cast<int64_t>(r) * x.st, cols * sizeof(float));
  return buf.data();
}

HeadsIn ReadHeads(const FloatInput& in, std::vector<float>& scratch) {
  if (in.shape[3] == 1 || in.strides[3] == 1) return {in.data, in.strides[0], in.strides[1], in.strides[2]};
  const int64_t d = in.shape[3], t = in.shape[2];
  return {in.Rows(scratch), in.shape[1] * t * d, t * d, d};
}

// True when a [B, H, T, D] array is laid out as [B, T, H, D] rows: heads split off a projection.
bool TokenMajor(const mx::array& a) {
  const auto& s = a.strides();
  const int64_t h = a.shape(1), t = a.shape(2), d = a.shape(3);
  return s[3] == 1 && s[1] == d && s[2] == h * d && (a.shape(0) == 1 || s[0] == t * h * d);
}

// Allocates a [B, H, T, D] output, token-major when `token_major` (so that merging heads back into
// [B, T, H·D] features, or a projection's gradient, is a view and not a copy), else row-major.
HeadsOut AllocateHeads(mx::array& out, bool token_major) {
  const int64_t h = out.shape(1), t = out.shape(2), d = out.shape(3);
  if (!token_major) {
    out.set_data(mx::allocator::malloc(out.nbytes()));
    return {out.data<float>(), h * t * d, t * d, d};
  }
  mx::Strides strides{t * h * d, d, h * d, 1};
  auto [size, row, col] = mx::check_contiguity(out.shape(), strides);
  mx::array::Flags flags;
  flags.contiguous = true;
  flags.row_contiguous = row;
  flags.col_contiguous = col;
  out.set_data(mx::allocator::malloc(out.nbytes()), size, strides, flags);
  return {out.data<float>(), strides[0], strides[1], strides[2]};
}

struct ForwardArgs {
  FloatInput q_in, k_in, v_in;
  std::optional<FloatInput> d_in;
  HeadsIn q, k, v;   // set in the task
  const float* d;    // row-major, set in the task (null without dropout)
  MaskView mask;
  bool has_mask;
  float scale;
  Dims n;
  HeadsOut out;
  float* probs;
};

void ForwardHeads(std::size_t begin, std::size_t end, void* ctx) {
  const auto& a = *static_cast<ForwardArgs*>(ctx);
  const auto& n = a.n;
  thread_local std::vector<float> kt, gathered, used, vb;
  kt.resize(n.d * n.tk);
  if (a.d != nullptr) used.resize(n.tq * n.tk);
  for (std::size_t bh = begin; bh < end; ++bh) {
    std::size_t b = bh / n.h, h = bh % n.h;
    float* p = a.probs + bh * n.tq * n.tk;
    Transpose(a.k.Head(b, h), n.tk, n.d, a.k.st, kt.data());
    SmallGemm(n.tq, n.tk, n.d, a.scale, a.q.Head(b, h), a.q.st, 1, kt.data(), n.tk, p, n.tk, false);
    for (std::size_t i = 0; i < n.tq; ++i) {
      const float* m = a.has_mask ? a.mask.Row(b, h, i, n.tk, gathered) : nullptr;
      SoftmaxRow(p + i * n.tk, m, p + i * n.tk, n.tk);
    }
    const float* pv = Dropped(p, a.d == nullptr ? nullptr : a.d + bh * n.tq * n.tk, used, n.tq * n.tk);
    SmallGemm(n.tq, n.dv, n.tk, 1.0f, pv, n.tk, 1, Packed(a.v, b, h, n.tk, n.dv, vb), n.dv, a.out.Head(b, h), a.out.st, false);
  }
}

struct BackwardArgs {
  FloatInput q_in, k_in, v_in, p_in, g_in;
  std::optional<FloatInput> d_in;
  HeadsIn q, k, v, g;     // set in the task
  const float *p, *d;     // row-major, set in the task (d null without dropout)
  MaskView mask;
  bool has_mask, select;
  float scale;
  Dims n;
  HeadsOut dq, dk, dv;
};

void BackwardHeads(std::size_t begin, std::size_t end, void* ctx) {
  const auto& a = *static_cast<BackwardArgs*>(ctx);
  const auto& n = a.n;
  thread_local std::vector<float> vt, ds, gathered, used, gb, kb, qb;
  vt.resize(n.dv * n.tk);
  ds.resize(n.tq * n.tk);
  if (a.d != nullptr) used.resize(n.tq * n.tk);
  for (std::size_t bh = begin; bh < end; ++bh) {
    std::size_t b = bh / n.h, h = bh % n.h;
    const float* p = a.p + bh * n.tq * n.tk;
    const float* g = Packed(a.g, b, h, n.tq, n.dv, gb);
    const float* d = a.d == nullptr ? nullptr : a.d + bh * n.tq * n.tk;
    SmallGemm(n.tk, n.dv, n.tq, 1.0f, Dropped(p, d, used, n.tq * n.tk), 1, n.tk, g, n.dv, a.dv.Head(b, h), a.dv.st, false);
    Transpose(a.v.Head(b, h), n.tk, n.dv, a.v.st, vt.data());
    SmallGemm(n.tq, n.tk, n.dv, 1.0f, g, n.dv, 1, vt.data(), n.tk, ds.data(), n.tk, false);
    Dropped(ds.data(), d, ds, n.tq * n.tk);  // the probabilities' gradient, scaled by D in place
    for (std::size_t i = 0; i < n.tq; ++i) {
      float* row = ds.data() + i * n.tk;
      SoftmaxGradRow(p + i * n.tk, row, row, n.tk);
      if (a.select && a.has_mask) {
        const float* m = a.mask.Row(b, h, i, n.tk, gathered);
        for (std::size_t j = 0; j < n.tk; ++j) row[j] = m[j] == kLowest ? 0.0f : row[j];
      }
    }
    SmallGemm(n.tq, n.d, n.tk, a.scale, ds.data(), n.tk, 1, Packed(a.k, b, h, n.tk, n.d, kb), n.d, a.dq.Head(b, h), a.dq.st, false);
    SmallGemm(n.tk, n.d, n.tq, a.scale, ds.data(), 1, n.tk, Packed(a.q, b, h, n.tq, n.d, qb), n.d, a.dk.Head(b, h), a.dk.st, false);
  }
}

Dims DimsOf(const mx::array& q, const mx::array& v, const mx::array& k) {
  auto u = [](int x) { return static_cast<std::size_t>(x); };
  return {u(q.shape(0)), u(q.shape(1)), u(q.shape(2)), u(k.shape(2)), u(q.shape(3)), u(v.shape(3))};
}

// ---- Primitives ----------------------------------------------------------------------------------------

class AttentionPrimitiveBase : public mx::Primitive {
 public:
  AttentionPrimitiveBase(mx::Stream stream, Options options) : mx::Primitive(stream), o_(options) {}

  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const AttentionPrimitiveBase*>(&other);
    return o != nullptr && std::string(o->name()) == name() && o->o_ == o_;
  }

 protected:
  Options o_;
};

class AttentionGradPrimitive : public AttentionPrimitiveBase {
 public:
  using AttentionPrimitiveBase::AttentionPrimitiveBase;

  // inputs: q, k, v, probabilities, dout[, mask][, D]; outputs: dq, dk, dv, each laid out as its operand
  // (token-major for heads split off projections, so their gradients flow back into them as views).
  void eval_cpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    for (std::size_t i = 0; i < 5; ++i) CheckFloat(inputs[i]);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (const auto& in : inputs) encoder.set_input_array(in);
    BackwardArgs args{FloatInput::Of(inputs[0]), FloatInput::Of(inputs[1]), FloatInput::Of(inputs[2]),
                      FloatInput::Of(inputs[3]), FloatInput::Of(inputs[4]), std::nullopt,
                      {}, {}, {}, {}, nullptr, nullptr,
                      {}, o_.has_mask, o_.select, o_.scale, DimsOf(inputs[0], inputs[2], inputs[1]), {}, {}, {}};
    args.dq = AllocateHeads(outputs[0], TokenMajor(inputs[0]));
    args.dk = AllocateHeads(outputs[1], TokenMajor(inputs[1]));
    args.dv = AllocateHeads(outputs[2], TokenMajor(inputs[2]));
    for (auto& out : outputs) encoder.set_output_array(out);
    if (o_.has_mask) args.mask = MaskView::Of(inputs[o_.MaskAt() + 2]);
    if (o_.has_drop) args.d_in = FloatInput::Of(inputs[o_.DropAt() + 2]);
    encoder.dispatch([args = std::move(args)]() mutable {
      std::vector<float> s0, s1, s2, s3, s4, s5;
      args.q = ReadHeads(args.q_in, s0);
      args.k = ReadHeads(args.k_in, s1);
      args.v = ReadHeads(args.v_in, s2);
      args.p = args.p_in.Rows(s3);
      args.g = ReadHeads(args.g_in, s4);
      if (args.d_in) args.d = args.d_in->Rows(s5);
      ParallelFor(args.n.b * args.n.h, 1, BackwardHeads, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::invalid_argument("FusedAttentionGrad has no GPU kernel (the op builder uses mx.fast off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    return StockVjp(StockBackward, primals, cotangents, argnums, o_, stream());
  }
  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    return StockJvp(StockBackward, primals, tangents, argnums, o_, stream());
  }
  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>& inputs,
                                                           const std::vector<int>& axes) override {
    return StockVmap(StockBackward, inputs, axes, o_, stream());
  }

  const char* name() const override { return "FusedAttentionGrad"; }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    return {inputs[0].shape(), inputs[1].shape(), inputs[2].shape()};
  }

 private:
  static void CheckFloat(const mx::array& a) {
    if (a.dtype() != mx::float32) throw std::runtime_error("FusedAttentionGrad: expected float32 inputs");
  }
};

class AttentionPrimitive : public AttentionPrimitiveBase {
 public:
  using AttentionPrimitiveBase::AttentionPrimitiveBase;

  // inputs: q, k, v[, mask as float32 broadcast to [B, H, Tq, Tk]][, D: float32 [B, H, Tq, Tk]];
  // outputs: out (laid out as q: token-major for heads split off a projection), probabilities (before
  // dropout, row-major)
  void eval_cpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (const auto& in : inputs) encoder.set_input_array(in);
    ForwardArgs args{FloatInput::Of(inputs[0]), FloatInput::Of(inputs[1]), FloatInput::Of(inputs[2]), std::nullopt,
                     {}, {}, {}, nullptr, {}, o_.has_mask, o_.scale,
                     DimsOf(inputs[0], inputs[2], inputs[1]), {}, nullptr};
    args.out = AllocateHeads(outputs[0], TokenMajor(inputs[0]));
    outputs[1].set_data(mx::allocator::malloc(outputs[1].nbytes()));
    args.probs = outputs[1].data<float>();
    for (auto& out : outputs) encoder.set_output_array(out);
    if (o_.has_mask) args.mask = MaskView::Of(inputs[o_.MaskAt()]);
    if (o_.has_drop) args.d_in = FloatInput::Of(inputs[o_.DropAt()]);
    encoder.dispatch([args = std::move(args)]() mutable {
      std::vector<float> s0, s1, s2, s3;
      args.q = ReadHeads(args.q_in, s0);
      args.k = ReadHeads(args.k_in, s1);
      args.v = ReadHeads(args.v_in, s2);
      if (args.d_in) args.d = args.d_in->Rows(s3);
      ParallelFor(args.n.b * args.n.h, 1, ForwardHeads, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::invalid_argument("FusedAttention has no GPU kernel (the op builder uses mx.fast off the CPU)");
  }

  // The probabilities are internal (never handed out), so their cotangent is ignored. A float mask's
  // gradient (rare: a learned bias), or D's (a draw, never a parameter), goes through the stock composition.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>& outputs) override {
    bool wants_stock = false;
    for (int a : argnums) wants_stock = wants_stock || a >= 3;
    auto s = stream();
    if (wants_stock) {
      auto fn = [&](const std::vector<mx::array>& in) { return std::vector<mx::array>{StockForward(in, o_, s)[0]}; };
      auto all = mx::vjp(fn, primals, {cotangents[0]}).second;
      std::vector<mx::array> grads;
      for (int a : argnums) grads.push_back(all[a]);
      return grads;
    }
    std::vector<mx::array> in{primals[0], primals[1], primals[2], outputs[1], mx::astype(cotangents[0], mx::float32, s)};
    in.insert(in.end(), primals.begin() + 3, primals.end());
    auto grads = mx::array::make_arrays({primals[0].shape(), primals[1].shape(), primals[2].shape()},
                                        {mx::float32, mx::float32, mx::float32},
                                        std::make_shared<AttentionGradPrimitive>(s, o_), in);
    std::vector<mx::array> picked;
    for (int a : argnums) picked.push_back(grads[a]);
    return picked;
  }
  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    return StockJvp(StockForward, primals, tangents, argnums, o_, stream());
  }
  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>& inputs,
                                                           const std::vector<int>& axes) override {
    return StockVmap(StockForward, inputs, axes, o_, stream());
  }

  const char* name() const override { return "FusedAttention"; }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    const auto& q = inputs[0];
    return {{q.shape(0), q.shape(1), q.shape(2), inputs[2].shape(3)}, {q.shape(0), q.shape(1), q.shape(2), inputs[1].shape(2)}};
  }
};

}  // namespace

bool AttentionCoreApplies(const mx::array& q, const mx::array& k, const mx::array& v,
                          const std::optional<mx::array>& mask, const mx::Stream& stream) {
  if (!UsesKernel(q, stream) || k.dtype() != mx::float32 || v.dtype() != mx::float32) return false;
  if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4) return false;
  if (q.shape(0) != k.shape(0) || k.shape(0) != v.shape(0) || q.shape(1) != k.shape(1) || k.shape(1) != v.shape(1) ||
      q.shape(3) != k.shape(3) || k.shape(2) != v.shape(2)) {
    return false;
  }
  if (q.size() == 0 || k.size() == 0 || v.size() == 0) return false;
  if (mask) {
    if (mask->dtype() != mx::bool_ && mask->dtype() != mx::float32) return false;
    if (mask->ndim() > 4) return false;
    mx::Shape scores{q.shape(0), q.shape(1), q.shape(2), k.shape(2)};
    try {
      if (mx::broadcast_shapes(mask->shape(), scores) != scores) return false;
    } catch (const std::exception&) {
      return false;  // mx.fast names the shapes
    }
  }
  return true;
}

// mx.fast has no probability dropout, so the scores, softmax, D and matmuls are spelled out (k and v
// repeated for grouped heads).
mx::array StockDropoutAttention(const mx::array& q, mx::array k, mx::array v, float scale,
                                const std::optional<mx::array>& mask, float keep, const std::optional<mx::array>& key,
                                mx::StreamOrDevice s, bool stockMask) {
  if (q.ndim() == 4 && k.ndim() == 4 && k.shape(1) != q.shape(1) && k.shape(1) > 0 && q.shape(1) % k.shape(1) == 0) {
    k = mx::repeat(k, q.shape(1) / k.shape(1), 1, s);
    v = mx::repeat(v, q.shape(1) / v.shape(1), 1, s);
  }
  auto scores = mx::matmul(mx::multiply(q, mx::array(scale, q.dtype()), s), mx::swapaxes(k, -1, -2, s), s);
  if (mask) {
    scores = mask->dtype() == mx::bool_
                 ? mx::where(*mask, scores, mx::array(mx::finfo(scores.dtype()).min, scores.dtype()), s)
                 : mx::add(scores, mx::astype(*mask, scores.dtype(), s), s);
  }
  auto p = mx::softmax(scores, -1, true, s);
  auto d = DropoutMask(p.shape(), keep, 1.0f / keep, key, s, stockMask);
  return mx::matmul(mx::multiply(p, mx::astype(d, p.dtype(), s), s), v, s);
}

mx::array AttentionCore(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                        const std::optional<mx::array>& mask, float keep, const std::optional<mx::array>& key,
                        mx::StreamOrDevice s) {
  if (!(keep > 0.0f && keep <= 1.0f)) {
    throw std::invalid_argument("fused.attention: the dropout probability must be in [0, 1) but received " +
                                std::to_string(1.0f - keep));
  }
  auto stream = mx::to_stream(s);
  bool drop = keep < 1.0f;
  if (!AttentionCoreApplies(q, k, v, mask, stream)) {
    if (drop) return StockDropoutAttention(q, k, v, scale, mask, keep, key, stream, false);
    return mx::fast::scaled_dot_product_attention(q, k, v, scale, "", mask, std::nullopt, false, stream);
  }
  std::vector<mx::array> inputs{q, k, v};
  bool select = mask && mask->dtype() == mx::bool_;
  mx::Shape scores{q.shape(0), q.shape(1), q.shape(2), k.shape(2)};
  if (mask) {
    auto additive = select ? mx::where(*mask, mx::array(0.0f), mx::array(kLowest), stream) : *mask;
    inputs.push_back(mx::broadcast_to(additive, scores, stream));
  }
  if (drop) inputs.push_back(DropoutMask(scores, keep, 1.0f / keep, key, stream));
  auto shapes = std::vector<mx::Shape>{{q.shape(0), q.shape(1), q.shape(2), v.shape(3)}, scores};
  Options options{scale, select, mask.has_value(), drop};
  return mx::array::make_arrays(std::move(shapes), {mx::float32, mx::float32},
                                std::make_shared<AttentionPrimitive>(stream, options), inputs)[0];
}

}  // namespace mlxt
