// See add.h.
#include "add.h"

#include <memory>
#include <optional>
#include <vector>

#include "common.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "parallel_for.h"

namespace mlxt {

namespace {

struct AddArgs {
  FloatInput a_in, b_in;
  const float *a, *b;  // row-major, set in the task
  float* y;
};

void AddRange(std::size_t begin, std::size_t end, void* ctx) {
  const auto& args = *static_cast<const AddArgs*>(ctx);
  AddFloats(args.a + begin, args.b + begin, args.y + begin, end - begin);
}

class AddPrimitive : public mx::UnaryPrimitive {
 public:
  explicit AddPrimitive(mx::Stream stream) : mx::UnaryPrimitive(stream) {}

  // inputs: a, b (float32, one shape, any layout)
  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    const auto &a = inputs[0], &b = inputs[1];
    AllocateLike(out, a.is_donatable() ? a : b);
    auto& encoder = mx::cpu::get_command_encoder(stream());
    encoder.set_input_array(a);
    encoder.set_input_array(b);
    encoder.set_output_array(out);
    AddArgs args{FloatInput::Of(a), FloatInput::Of(b), nullptr, nullptr, out.data<float>()};
    encoder.dispatch([args = std::move(args), n = out.size()]() mutable {
      std::vector<float> sa, sb;
      args.a = args.a_in.Rows(sa);
      args.b = args.b_in.Rows(sb);
      ParallelFor(n, 16384, AddRange, &args);
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::invalid_argument("FusedAdd has no GPU kernel (the op builder uses mx::add off the CPU)");
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>&, const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums, const std::vector<mx::array>&) override {
    return std::vector<mx::array>(argnums.size(), cotangents[0]);
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>&, const std::vector<mx::array>& tangents,
                             const std::vector<int>&) override {
    return {tangents.size() == 1 ? tangents[0] : FusedAdd(tangents[0], tangents[1], stream())};
  }

  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>& inputs,
                                                           const std::vector<int>& axes) override {
    // Both mapped axes first (an unmapped input gets one of size 1), then mx::add, which broadcasts.
    auto lead = [&](int i) {
      return axes[i] >= 0 ? mx::moveaxis(inputs[i], axes[i], 0, stream()) : mx::expand_dims(inputs[i], 0, stream());
    };
    return {{mx::add(lead(0), lead(1), stream())}, {0}};
  }

  const char* name() const override { return "FusedAdd"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const AddPrimitive*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& inputs) override { return {inputs[0].shape()}; }
};

}  // namespace

MLXT_SIMD_CLONES void AddFloats(const float* a, const float* b, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

mx::array FusedAdd(const mx::array& a, const mx::array& b, mx::StreamOrDevice s) {
  auto stream = mx::to_stream(s);
  if (!UsesKernel(a, stream) || b.dtype() != mx::float32 || a.shape() != b.shape() || a.size() == 0) {
    return mx::add(a, b, stream);
  }
  return mx::array(a.shape(), mx::float32, std::make_shared<AddPrimitive>(stream), {a, b});
}

}  // namespace mlxt
