// Fused optimizer primitives (see optim.h). Every parameter of the tree is one segment of a single
// index space that ParallelFor splits over the cores, so small and large tensors share the same pass.
// The per-element math follows mlx.optimizers operation by operation (same constants rounded the same
// way), so the results match Python MLX to float rounding.
#include "optim.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "common.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

#define MLXT_OPTIM_CLONES MLXT_SIMD_CLONES

// Scalars each kernel needs, already in float32 as MLX would round them.
struct Coefficients {
  float scale;     // gradient multiplier (clip coefficient)
  float lr;        // learning rate (Adam: lr, or lr / (1 − β1^t) with bias correction)
  float decay;     // parameter multiplier before the step (1 − lr·wd), 1 when there is none
  float b1, omb1;  // β1 and (1 − β1) rounded from double, as Python's `(1 - b1) * g` does
  float b2, omb2;
  float eps;
  float c2;        // Adam: 1/√(1 − β2^t) with bias correction, else 1 (exact either way)
  float wd;        // SGD: L2 weight decay
  float momentum, omdamp;
  bool hasWd, damp, nesterov, decayed;
};

// No FP-exception semantics to keep (MLX never enables traps), so selects vectorise. The errno of sqrt
// is switched off for the whole addon (CMakeLists.txt, binding.gyp): GCC ignores no-math-errno in a pragma.
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")

// Outputs may be the inputs' own buffers (donated): every element is read before it is written at the
// same index, and ivdep tells GCC there is no dependence across iterations.
MLXT_OPTIM_CLONES void AdamRange(const float* p, const float* g, const float* m, const float* v, float* po, float* mo,
                                 float* vo, std::size_t n, const Coefficients& k) {
  const float scale = k.scale, lr = k.lr, decay = k.decay, b1 = k.b1, omb1 = k.omb1, b2 = k.b2, omb2 = k.omb2,
              eps = k.eps, c2 = k.c2;
#pragma GCC ivdep
  for (std::size_t i = 0; i < n; ++i) {
    float gi = g[i] * scale;
    float mi = b1 * m[i] + omb1 * gi;
    float vi = b2 * v[i] + omb2 * (gi * gi);
    float pi = p[i] * decay;
    po[i] = pi - (lr * mi) / (__builtin_sqrtf(vi) * c2 + eps);
    mo[i] = mi;
    vo[i] = vi;
  }
}

MLXT_OPTIM_CLONES void LionRange(const float* p, const float* g, const float* m, float* po, float* mo, std::size_t n,
                                 const Coefficients& k) {
  const float scale = k.scale, lr = k.lr, decay = k.decay, b1 = k.b1, omb1 = k.omb1, b2 = k.b2, omb2 = k.omb2;
#pragma GCC ivdep
  for (std::size_t i = 0; i < n; ++i) {
    float gi = g[i] * scale;
    float c = b1 * m[i] + omb1 * gi;
    mo[i] = b2 * m[i] + omb2 * gi;
    float sign = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : 0.0f);
    po[i] = p[i] * decay - lr * sign;
  }
}

// SGD's options change which ops run (Python skips them rather than multiplying by 0 or 1), so each
// combination is its own loop; v is null without momentum.
template <bool kWd, bool kMomentum, bool kDamp, bool kNesterov>
inline __attribute__((always_inline)) void SgdLoop(const float* p, const float* g, const float* v, float* po,
                                                   float* vo, std::size_t n, const Coefficients& k) {
  const float scale = k.scale, lr = k.lr, wd = k.wd, momentum = k.momentum, omdamp = k.omdamp;
#pragma GCC ivdep
  for (std::size_t i = 0; i < n; ++i) {
    float gi = g[i] * scale;
    if (kWd) gi = gi + wd * p[i];
    if (!kMomentum) {
      po[i] = p[i] - lr * gi;
      continue;
    }
    float vi = momentum * v[i];
    vi = kDamp ? vi + omdamp * gi : vi + gi;
    float update = kNesterov ? gi + momentum * vi : vi;
    vo[i] = vi;
    po[i] = p[i] - lr * update;
  }
}

#define MLXT_SGD_VARIANT(NAME, WD, MOM, DAMP, NEST)                                                        \
  MLXT_OPTIM_CLONES void NAME(const float* p, const float* g, const float* v, float* po, float* vo,        \
                              std::size_t n, const Coefficients& k) {                                      \
    SgdLoop<WD, MOM, DAMP, NEST>(p, g, v, po, vo, n, k);                                                   \
  }
MLXT_SGD_VARIANT(SgdPlain, false, false, false, false)
MLXT_SGD_VARIANT(SgdWd, true, false, false, false)
MLXT_SGD_VARIANT(SgdMom, false, true, false, false)
MLXT_SGD_VARIANT(SgdMomWd, true, true, false, false)
MLXT_SGD_VARIANT(SgdMomDamp, false, true, true, false)
MLXT_SGD_VARIANT(SgdMomDampWd, true, true, true, false)
MLXT_SGD_VARIANT(SgdNesterov, false, true, false, true)
MLXT_SGD_VARIANT(SgdNesterovWd, true, true, false, true)
#undef MLXT_SGD_VARIANT

using SgdFn = void (*)(const float*, const float*, const float*, float*, float*, std::size_t, const Coefficients&);

SgdFn PickSgd(const Coefficients& k, bool momentum) {
  if (!momentum) return k.hasWd ? SgdWd : SgdPlain;
  if (k.nesterov) return k.hasWd ? SgdNesterovWd : SgdNesterov;  // Nesterov implies no dampening
  if (k.damp) return k.hasWd ? SgdMomDampWd : SgdMomDamp;
  return k.hasWd ? SgdMomWd : SgdMom;
}

// Eight double lanes: an order GCC can vectorise without reassociating, and double so that summing
// millions of squares loses nothing a float32 result could show.
MLXT_OPTIM_CLONES double SumSquaresRange(const float* x, std::size_t n) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      double v = x[i + j];
      lanes[j] += v * v;
    }
  }
  double total = 0;
  for (; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  for (double lane : lanes) total += lane;
  return total;
}

#pragma GCC pop_options

// 16K floats per chunk, as for GELU: a chunk's streams stay in L2 and dispatch cost is negligible.
constexpr std::size_t kGrain = 16384;

// One parameter (or one array to reduce) as a slice [offset, offset + n) of the shared index space.
struct Segment {
  std::size_t offset = 0, n = 0;
  const float* in[4] = {nullptr, nullptr, nullptr, nullptr};  // p, g, states…
  float* out[3] = {nullptr, nullptr, nullptr};                // p', states'…
};

// Calls fn(segment, lo, hi) for the parts of every segment inside [begin, end).
template <class Fn>
void ForSegments(const std::vector<Segment>& segments, std::size_t begin, std::size_t end, Fn&& fn) {
  auto it = std::upper_bound(segments.begin(), segments.end(), begin,
                             [](std::size_t b, const Segment& s) { return b < s.offset; });
  for (--it; it != segments.end() && it->offset < end; ++it) {
    std::size_t lo = std::max(begin, it->offset) - it->offset;
    std::size_t hi = std::min(end, it->offset + it->n) - it->offset;
    if (lo < hi) fn(*it, lo, hi);
  }
}

struct UpdateJob {
  OptimKind kind;
  Coefficients k;
  bool momentum;
  const std::vector<Segment>* segments;
};

void RunUpdate(std::size_t begin, std::size_t end, void* ctx) {
  auto& job = *static_cast<UpdateJob*>(ctx);
  SgdFn sgd = job.kind == OptimKind::kSgd ? PickSgd(job.k, job.momentum) : nullptr;
  ForSegments(*job.segments, begin, end, [&](const Segment& s, std::size_t lo, std::size_t hi) {
    auto in = [&](int i) { return s.in[i] ? s.in[i] + lo : nullptr; };
    auto out = [&](int i) { return s.out[i] ? s.out[i] + lo : nullptr; };
    switch (job.kind) {
      case OptimKind::kAdam: AdamRange(in(0), in(1), in(2), in(3), out(0), out(1), out(2), hi - lo, job.k); break;
      case OptimKind::kLion: LionRange(in(0), in(1), in(2), out(0), out(1), hi - lo, job.k); break;
      case OptimKind::kSgd: sgd(in(0), in(1), in(2), out(0), out(1), hi - lo, job.k); break;
    }
  });
}

struct ReduceJob {
  const std::vector<Segment>* segments;
  double* partials;  // one per kGrain-sized chunk of the index space, summed in order afterwards
};

void RunReduce(std::size_t begin, std::size_t end, void* ctx) {
  auto& job = *static_cast<ReduceJob*>(ctx);
  // ParallelFor may hand over one range or many; cut it into the fixed chunks either way, so the
  // partial sums (and so the result) do not depend on how many threads ran.
  for (std::size_t c = begin; c < end; c += kGrain) {
    double sum = 0;
    ForSegments(*job.segments, c, std::min(end, c + kGrain),
                [&](const Segment& s, std::size_t lo, std::size_t hi) { sum += SumSquaresRange(s.in[0] + lo, hi - lo); });
    job.partials[c / kGrain] = sum;
  }
}

// ---- Primitives ------------------------------------------------------------------------------------------

[[noreturn]] void NotDifferentiable(const char* name) {
  throw std::invalid_argument(std::string(name) +
                              ": optimizer updates are not differentiable (apply them outside grad, vjp, jvp and vmap)");
}

// Each output of a multi-output primitive holds its own copy of the inputs list, so an input nothing
// else refers to is still referenced once per output and MLX's is_donatable() (use count 1) never holds.
// The other outputs' copies are dropped here (eval detaches them right after anyway), leaving the one
// list MLX passed in; traced arrays keep their graph.
// Only when `inputs` is one output's own list: MLX keeps that list's buffers alive until the kernel ran.
void DropSiblingInputs(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) {
  if (outputs.empty() || outputs[0].is_tracer()) return;
  auto owner = std::count_if(outputs.begin(), outputs.end(), [&](mx::array& o) { return &o.inputs() == &inputs; });
  if (owner != 1) return;
  for (auto& o : outputs) {
    if (&o.inputs() != &inputs) o.inputs().clear();
  }
}

// The output's buffer: the input's own when MLX says no one else can see it, else a fresh one.
float* OutputBuffer(mx::array& out, const mx::array& donor) {
  if (donor.is_donatable() && donor.flags().row_contiguous && donor.dtype() == mx::float32 &&
      donor.size() == out.size()) {
    out.copy_shared_buffer(donor);
  } else {
    out.set_data(mx::allocator::malloc(out.nbytes()));
  }
  return out.data<float>();
}

void CheckKernelInput(const mx::array& a, const char* op) {
  // The op builders guarantee both; this guards against a graph rebuilt by another transform.
  if (a.dtype() != mx::float32 || !a.flags().row_contiguous) {
    throw std::runtime_error(std::string(op) + ": the fused CPU kernel needs row-contiguous float32 inputs");
  }
}

float Pow(float base, float exponent) { return std::pow(base, exponent); }

// Inputs: learning rate, step, gradient scale (float32 scalars), then per parameter p, g, states….
// Outputs: per parameter p', states'….
class OptimizerUpdate : public mx::Primitive {
 public:
  OptimizerUpdate(mx::Stream stream, OptimConfig config) : mx::Primitive(stream), config_(config) {}

  void eval_cpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    for (const auto& in : inputs) CheckKernelInput(in, name());  // before the graph is touched
    DropSiblingInputs(inputs, outputs);
    const int states = StateCount(config_);
    const std::size_t group = 2 + states, count = (inputs.size() - 3) / group;
    auto segments = std::make_shared<std::vector<Segment>>(count);
    std::size_t offset = 0;
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (const auto& in : inputs) encoder.set_input_array(in);
    for (std::size_t i = 0; i < count; ++i) {
      auto& seg = (*segments)[i];
      const mx::array* in = &inputs[3 + i * group];
      mx::array* out = &outputs[i * (1 + states)];
      seg.offset = offset;
      seg.n = in[0].size();
      offset += seg.n;
      for (std::size_t j = 0; j < group; ++j) seg.in[j] = in[j].data<float>();
      // p' may take p's buffer, each state' its state's (never the gradient's: it is read-only here).
      seg.out[0] = OutputBuffer(out[0], in[0]);
      for (int j = 0; j < states; ++j) seg.out[1 + j] = OutputBuffer(out[1 + j], in[2 + j]);
    }
    for (auto& o : outputs) encoder.set_output_array(o);
    const float* lr = inputs[0].data<float>();
    const float* step = inputs[1].data<float>();
    const float* scale = inputs[2].data<float>();
    encoder.dispatch([config = config_, segments, lr, step, scale, total = offset]() {
      UpdateJob job{config.kind, StepCoefficients(config, *lr, *step, *scale), config.momentum > 0, segments.get()};
      ParallelFor(total, kGrain, RunUpdate, &job);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, std::vector<mx::array>&) override {
    throw std::invalid_argument("FusedOptimizerUpdate has no GPU kernel (use the stock optimizer off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>&, const std::vector<mx::array>&, const std::vector<int>&,
                             const std::vector<mx::array>&) override {
    NotDifferentiable(name());
  }
  std::vector<mx::array> jvp(const std::vector<mx::array>&, const std::vector<mx::array>&,
                             const std::vector<int>&) override {
    NotDifferentiable(name());
  }
  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>&,
                                                           const std::vector<int>&) override {
    NotDifferentiable(name());
  }

  const char* name() const override { return "FusedOptimizerUpdate"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const OptimizerUpdate*>(&other);
    if (o == nullptr) return false;
    const auto &a = config_, &b = o->config_;
    return a.kind == b.kind && a.beta1 == b.beta1 && a.beta2 == b.beta2 && a.eps == b.eps &&
           a.weightDecay == b.weightDecay && a.decoupledDecay == b.decoupledDecay &&
           a.biasCorrection == b.biasCorrection && a.momentum == b.momentum && a.dampening == b.dampening &&
           a.nesterov == b.nesterov;
  }

  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override {
    const int states = StateCount(config_);
    const std::size_t group = 2 + states;
    std::vector<mx::Shape> shapes;
    for (std::size_t i = 3; i + group <= inputs.size(); i += group) {
      shapes.push_back(inputs[i].shape());
      for (int j = 0; j < states; ++j) shapes.push_back(inputs[i + 2 + j].shape());
    }
    return shapes;
  }

 private:
  // The scalars of one step, rounded to float32 where mlx.optimizers rounds them.
  static Coefficients StepCoefficients(const OptimConfig& c, float lr, float step, float scale) {
    Coefficients k{};
    k.scale = scale;
    k.lr = lr;
    k.decay = 1.0f;
    k.b1 = static_cast<float>(c.beta1);
    k.omb1 = static_cast<float>(1.0 - c.beta1);
    k.b2 = static_cast<float>(c.beta2);
    k.omb2 = static_cast<float>(1.0 - c.beta2);
    k.eps = static_cast<float>(c.eps);
    k.c2 = 1.0f;
    k.wd = static_cast<float>(c.weightDecay);
    k.hasWd = c.weightDecay != 0;
    k.momentum = static_cast<float>(c.momentum);
    k.damp = c.dampening > 0;
    k.omdamp = static_cast<float>(1.0 - c.dampening);
    k.nesterov = c.nesterov;
    // AdamW: p·(1 − lr·wd); Lion only when wd > 0 (as in mlx.optimizers).
    bool decays = c.kind == OptimKind::kAdam ? c.decoupledDecay : (c.kind == OptimKind::kLion && c.weightDecay > 0);
    if (decays) k.decay = 1.0f - lr * k.wd;
    if (c.kind == OptimKind::kAdam && c.biasCorrection) {
      k.lr = lr / (1.0f - Pow(k.b1, step));
      k.c2 = 1.0f / std::sqrt(1.0f - Pow(k.b2, step));
    }
    return k;
  }

  OptimConfig config_;
};

// Input: the arrays to reduce. Output: Σ x² as a float32 scalar.
class SumOfSquares : public mx::UnaryPrimitive {
 public:
  explicit SumOfSquares(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    auto segments = std::make_shared<std::vector<Segment>>(inputs.size());
    std::size_t offset = 0;
    auto& encoder = mx::cpu::get_command_encoder(stream());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      CheckKernelInput(inputs[i], name());
      encoder.set_input_array(inputs[i]);
      auto& seg = (*segments)[i];
      seg.offset = offset;
      seg.n = inputs[i].size();
      seg.in[0] = inputs[i].data<float>();
      offset += seg.n;
    }
    out.set_data(mx::allocator::malloc(out.nbytes()));
    encoder.set_output_array(out);
    encoder.dispatch([segments, total = offset, result = out.data<float>()]() {
      std::vector<double> partials((total + kGrain - 1) / kGrain, 0.0);
      ReduceJob job{segments.get(), partials.data()};
      ParallelFor(total, kGrain, RunReduce, &job);
      double sum = 0;
      for (double p : partials) sum += p;
      *result = static_cast<float>(sum);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedSumOfSquares has no GPU kernel (use stock ops off the CPU)");
  }

  // d/dx Σ x² = 2x: cheap to give, and it keeps clipping usable inside a differentiated function.
  std::vector<mx::array> vjp(const std::vector<mx::array>& primals, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    std::vector<mx::array> grads;
    for (int i : argnums) {
      grads.push_back(mx::multiply(mx::multiply(primals[i], mx::array(2.0f), stream()), cotangents[0], stream()));
    }
    return grads;
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals, const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    std::optional<mx::array> total;
    for (std::size_t k = 0; k < argnums.size(); ++k) {
      auto term = mx::sum(mx::multiply(mx::multiply(primals[argnums[k]], mx::array(2.0f), stream()), tangents[k],
                                       stream()),
                          false, stream());
      total = total ? mx::add(*total, term, stream()) : term;
    }
    return {*total};
  }

  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>&,
                                                           const std::vector<int>&) override {
    throw std::invalid_argument("FusedSumOfSquares: vmap is not supported");
  }

  const char* name() const override { return "FusedSumOfSquares"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const SumOfSquares*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>&) override { return {mx::Shape{}}; }
};

// ---- Op builders -------------------------------------------------------------------------------------------

mx::Stream CpuStream(mx::StreamOrDevice s, const char* op) {
  auto stream = mx::to_stream(s);
  if (stream.device != mx::Device::cpu) {
    throw std::invalid_argument(std::string(op) + ": the fused kernel runs on the CPU only (use the stock ops on the GPU)");
  }
  return stream;
}

mx::array Float32Input(const mx::array& a, const char* op, const std::string& what, mx::Stream stream) {
  if (a.dtype() != mx::float32) {
    std::ostringstream msg;
    msg << op << ": expected a float32 array for " << what << " but received " << a.dtype() << " array of shape "
        << a.shape();
    throw std::invalid_argument(msg.str());
  }
  return mx::contiguous(a, false, stream);
}

mx::array ScalarInput(const mx::array& a, const char* op, const char* what, mx::Stream stream) {
  if (a.size() != 1) {
    std::ostringstream msg;
    msg << op << ": expected a scalar for " << what << " but received an array of shape " << a.shape();
    throw std::invalid_argument(msg.str());
  }
  return mx::contiguous(mx::reshape(mx::astype(a, mx::float32, stream), {}, stream), false, stream);
}

void CheckSameShape(const mx::array& a, const mx::array& b, const char* op, const std::string& what) {
  if (a.shape() != b.shape()) {
    std::ostringstream msg;
    msg << op << ": " << what << " has shape " << a.shape() << " but its parameter has shape " << b.shape();
    throw std::invalid_argument(msg.str());
  }
}

}  // namespace

int StateCount(const OptimConfig& config) {
  switch (config.kind) {
    case OptimKind::kAdam: return 2;
    case OptimKind::kLion: return 1;
    case OptimKind::kSgd: return config.momentum > 0 ? 1 : 0;
  }
  return 0;
}

std::vector<mx::array> FusedOptimizerUpdate(const OptimConfig& config, const mx::array& learningRate,
                                            const mx::array& step, const mx::array& gradScale,
                                            const std::vector<mx::array>& params, const std::vector<mx::array>& grads,
                                            const std::vector<mx::array>& states, mx::StreamOrDevice s) {
  const char* op = "fusedOptimizerUpdate";
  auto stream = CpuStream(s, op);
  const std::size_t perParam = StateCount(config);
  if (grads.size() != params.size() || states.size() != params.size() * perParam) {
    std::ostringstream msg;
    msg << op << ": expected one gradient and " << perParam << " state arrays per parameter but received "
        << params.size() << " parameters, " << grads.size() << " gradients and " << states.size() << " states";
    throw std::invalid_argument(msg.str());
  }
  if (params.empty()) return {};
  std::vector<mx::array> inputs = {ScalarInput(learningRate, op, "learningRate", stream),
                                   ScalarInput(step, op, "step", stream), ScalarInput(gradScale, op, "gradScale", stream)};
  std::vector<mx::Shape> shapes;
  std::vector<mx::Dtype> dtypes;
  auto label = [](const char* what, std::size_t i) {
    std::ostringstream s;
    s << what << " " << i;
    return s.str();
  };
  for (std::size_t i = 0; i < params.size(); ++i) {
    CheckSameShape(grads[i], params[i], op, label("gradient", i));
    inputs.push_back(Float32Input(params[i], op, label("parameter", i), stream));
    inputs.push_back(Float32Input(grads[i], op, label("gradient", i), stream));
    shapes.push_back(params[i].shape());
    for (std::size_t j = 0; j < perParam; ++j) {
      const auto& st = states[i * perParam + j];
      const std::string what = label("state", j) + " of " + label("parameter", i);
      CheckSameShape(st, params[i], op, what);
      inputs.push_back(Float32Input(st, op, what, stream));
      shapes.push_back(params[i].shape());
    }
  }
  dtypes.assign(shapes.size(), mx::float32);
  return mx::array::make_arrays(std::move(shapes), dtypes, std::make_shared<OptimizerUpdate>(stream, config), inputs);
}

mx::array FusedSumOfSquares(const std::vector<mx::array>& arrays, mx::StreamOrDevice s) {
  const char* op = "fusedSumOfSquares";
  auto stream = CpuStream(s, op);
  if (arrays.empty()) return mx::array(0.0f);
  std::vector<mx::array> inputs;
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    std::ostringstream what;
    what << "array " << i;
    inputs.push_back(Float32Input(arrays[i], op, what.str(), stream));
  }
  return mx::array(mx::Shape{}, mx::float32, std::make_shared<SumOfSquares>(stream), inputs);
}

}  // namespace mlxt
