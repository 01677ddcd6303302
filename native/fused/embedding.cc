// Fused embedding primitives (see embedding.h). The gradient partitions the table's columns between
// threads, and each thread adds the tokens in order: no two threads touch one element, and every element's
// sum runs in token order, so the result is deterministic (and matches a sequential scatter-add).
#include "embedding.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

MLXT_INLINE int64_t RowOf(int32_t id, int64_t vocab) {
  int64_t r = id < 0 ? id + vocab : id;
  return r >= 0 && r < vocab ? r : -1;
}

struct GatherArgs {
  const float* table;
  const int32_t* ids;
  float* out;
  int64_t vocab;
  std::size_t dims;
};

void GatherRange(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<GatherArgs*>(ctx);
  for (std::size_t t = begin; t < end; ++t) {
    int64_t r = RowOf(a.ids[t], a.vocab);
    float* dst = a.out + t * a.dims;
    if (r < 0) std::fill(dst, dst + a.dims, 0.0f);
    else std::memcpy(dst, a.table + r * a.dims, a.dims * sizeof(float));
  }
}

struct ScatterArgs {
  const int32_t* ids;
  const float* g;
  float* out;
  int64_t vocab;
  std::size_t dims, tokens, cols_per_part;
};

MLXT_SIMD_CLONES void AddRow(float* __restrict dst, const float* __restrict src, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

// Zero-fills whole rows [begin, end) of the table.
void ZeroRows(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<ScatterArgs*>(ctx);
  std::memset(a.out + begin * a.dims, 0, (end - begin) * a.dims * sizeof(float));
}

// Adds every token's gradient into the table, for the columns of parts [begin, end).
void ScatterParts(std::size_t begin, std::size_t end, void* ctx) {
  auto& a = *static_cast<ScatterArgs*>(ctx);
  for (std::size_t part = begin; part < end; ++part) {
    std::size_t c0 = part * a.cols_per_part;
    std::size_t c1 = std::min(a.dims, c0 + a.cols_per_part);
    for (std::size_t t = 0; t < a.tokens; ++t) {
      int64_t r = RowOf(a.ids[t], a.vocab);
      if (r >= 0) AddRow(a.out + r * a.dims + c0, a.g + t * a.dims + c0, c1 - c0);
    }
  }
}

mx::array FusedEmbeddingGrad(const mx::array& ids, const mx::array& g, int vocab, mx::Stream s);

class EmbeddingPrimitive : public mx::UnaryPrimitive {
 public:
  explicit EmbeddingPrimitive(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  // inputs: weight [vocab, dims] (row-contiguous float32), ids (row-contiguous int32)
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto &w = inputs[0], &ids = inputs[1];
    CheckKernelInput(w, name());
    if (ids.dtype() != mx::int32 || !ids.flags().row_contiguous) throw std::runtime_error("FusedEmbedding: ids must be row-contiguous int32");
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(w);
    encoder.set_input_array(ids);
    encoder.set_output_array(out);
    std::size_t dims = static_cast<std::size_t>(w.shape(1));
    GatherArgs args{w.data<float>(), ids.data<int32_t>(), out.data<float>(), w.shape(0), dims};
    encoder.dispatch([args, n = ids.size()]() mutable { ParallelFor(n, RowGrain(args.dims), GatherRange, &args); });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedEmbedding has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    std::vector<mx::array> grads;
    for (int a : argnums) {
      grads.push_back(a == 0 ? FusedEmbeddingGrad(primals[1], cotangents[0], primals[0].shape(0), stream())
                             : mx::zeros_like(primals[1], stream()));
    }
    return grads;
  }

  // Linear in the table: the tangent is the lookup of the table's tangent.
  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    for (std::size_t i = 0; i < argnums.size(); ++i) {
      if (argnums[i] == 0) return {FusedEmbedding(tangents[i], primals[1], stream())};
    }
    auto shape = primals[1].shape();
    shape.push_back(primals[0].shape(1));
    return {mx::zeros(shape, primals[0].dtype(), stream())};
  }

  const char* name() const override { return "FusedEmbedding"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const EmbeddingPrimitive*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    auto shape = inputs[1].shape();
    shape.push_back(inputs[0].shape(1));
    return {shape};
  }
};

class EmbeddingGradPrimitive : public mx::UnaryPrimitive {
 public:
  EmbeddingGradPrimitive(mx::Stream stream, int vocab) : mx::UnaryPrimitive(stream), vocab_(vocab) {}

  // inputs: ids (int32, row-contiguous), g [...ids.shape, dims] (row-contiguous float32)
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto &ids = inputs[0], &g = inputs[1];
    CheckKernelInput(g, name());
    if (ids.dtype() != mx::int32 || !ids.flags().row_contiguous) throw std::runtime_error("FusedEmbeddingGrad: ids must be row-contiguous int32");
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(ids);
    encoder.set_input_array(g);
    encoder.set_output_array(out);
    std::size_t dims = static_cast<std::size_t>(out.shape(1));
    // Column parts of at least 64 floats (whole cache lines), one per thread at most.
    std::size_t threads = static_cast<std::size_t>(ParallelThreads());
    std::size_t per_part = std::max<std::size_t>(64, (dims + threads - 1) / threads);
    std::size_t parts = dims == 0 ? 0 : (dims + per_part - 1) / per_part;
    ScatterArgs args{ids.data<int32_t>(), g.data<float>(), out.data<float>(), vocab_, dims, ids.size(), per_part};
    encoder.dispatch([args, parts, vocab = static_cast<std::size_t>(vocab_)]() mutable {
      ParallelFor(vocab, RowGrain(args.dims), ZeroRows, &args);
      ParallelFor(parts, 1, ScatterParts, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedEmbeddingGrad has no GPU kernel (the op builder uses stock MLX ops off the CPU)");
  }

  // Linear in g: its gradient is the lookup of the cotangent table; ids get none.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    std::vector<mx::array> grads;
    for (int a : argnums) {
      grads.push_back(a == 1 ? FusedEmbedding(cotangents[0], primals[0], stream()) : mx::zeros_like(primals[0], stream()));
    }
    return grads;
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    for (std::size_t i = 0; i < argnums.size(); ++i) {
      if (argnums[i] == 1) return {FusedEmbeddingGrad(primals[0], tangents[i], vocab_, stream())};
    }
    return {mx::zeros({vocab_, primals[1].shape(-1)}, mx::float32, stream())};
  }

  const char* name() const override { return "FusedEmbeddingGrad"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const EmbeddingGradPrimitive*>(&other);
    return o != nullptr && o->vocab_ == vocab_;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    return {{vocab_, inputs[1].shape(-1)}};
  }

 private:
  int vocab_;
};

mx::array FusedEmbeddingGrad(const mx::array& ids, const mx::array& g, int vocab, mx::Stream s) {
  auto gc = mx::contiguous(mx::astype(g, mx::float32, s), false, s);
  return mx::array({vocab, g.shape(-1)}, mx::float32, std::make_shared<EmbeddingGradPrimitive>(s, vocab), {ids, gc});
}

}  // namespace

mx::array FusedEmbedding(const mx::array& weight, const mx::array& ids, mx::StreamOrDevice s) {
  if (!mx::issubdtype(ids.dtype(), mx::integer)) {
    std::ostringstream msg;
    msg << "fused.embedding: expected integer ids but received " << ids.dtype() << " array of shape " << ids.shape();
    throw std::invalid_argument(msg.str());
  }
  if (weight.ndim() != 2) {
    std::ostringstream msg;
    msg << "fused.embedding: expected a 2-D table [vocab, dims] but received shape " << weight.shape();
    throw std::invalid_argument(msg.str());
  }
  auto stream = mx::to_stream(s);
  // int64 ids beyond int32 cannot index a table this addon can hold; narrower types widen exactly.
  bool fused = UsesKernel(weight, stream) && ids.dtype() != mx::int64 && ids.dtype() != mx::uint64 &&
               ids.dtype() != mx::uint32;
  if (!fused) return mx::take(weight, ids, 0, stream);
  auto shape = ids.shape();
  shape.push_back(weight.shape(1));
  return mx::array(shape, mx::float32, std::make_shared<EmbeddingPrimitive>(stream),
                   {mx::contiguous(weight, false, stream), mx::contiguous(mx::astype(ids, mx::int32, stream), false, stream)});
}

}  // namespace mlxt
