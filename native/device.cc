// Default device and streams. Devices cross as (type, index) with type 0 = cpu, 1 = gpu; streams as
// [index, type, deviceIndex]. A GPU request on the CPU build is MLX's own invalid-argument error.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

namespace {

mx::Device::DeviceType ToDeviceType(const Napi::Value& v) {
  if (v.IsString()) {
    auto s = v.As<Napi::String>().Utf8Value();
    if (s == "cpu") return mx::Device::cpu;
    if (s == "gpu") return mx::Device::gpu;
    ThrowType("expected 'cpu' or 'gpu' for device but received '" + s + "'");
  }
  ThrowType("expected 'cpu' or 'gpu' for device");
}

mx::Device ToDevice(const Napi::CallbackInfo& info, size_t at) {
  int index = info[at + 1].IsUndefined() ? 0 : ToInt(info[at + 1], "device index");
  if (index < 0) ThrowRange("device index must be non-negative");
  return mx::Device(ToDeviceType(info[at]), index);
}

int TypeCode(const mx::Device& d) { return d.type == mx::Device::gpu ? 1 : 0; }

Napi::Value StreamTriple(Napi::Env env, const mx::Stream& s) {
  auto out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, s.index));
  out.Set(1u, Napi::Number::New(env, TypeCode(s.device)));
  out.Set(2u, Napi::Number::New(env, s.device.index));
  return out;
}

// A stream argument must name a stream MLX knows; an unknown index would fail deep in the scheduler.
mx::Stream ToKnownStream(const Napi::Value& v) {
  auto sod = ToStream(v);
  if (!std::holds_alternative<mx::Stream>(sod)) ThrowType("expected a stream object {index, device}");
  auto s = std::get<mx::Stream>(sod);
  for (const auto& known : mx::get_streams()) {
    if (known == s) return s;
  }
  ThrowRange("unknown stream " + std::to_string(s.index) + " on " + (TypeCode(s.device) ? "gpu" : "cpu"));
}

}  // namespace

void InitDevice(Napi::Object exports) {
  // () → [type, index]
  MLXT_EXPORT(exports, "defaultDevice", {
    const auto& d = mx::default_device();
    auto out = Napi::Array::New(info.Env(), 2);
    out.Set(0u, Napi::Number::New(info.Env(), TypeCode(d)));
    out.Set(1u, Napi::Number::New(info.Env(), d.index));
    return out;
  });
  // (type, index)
  MLXT_EXPORT(exports, "setDefaultDevice", {
    mx::set_default_device(ToDevice(info, 0));
    return info.Env().Undefined();
  });
  MLXT_EXPORT(exports, "isAvailable", { return Napi::Boolean::New(info.Env(), mx::is_available(ToDevice(info, 0))); });
  MLXT_EXPORT(exports, "deviceCount", { return Napi::Number::New(info.Env(), mx::device_count(ToDeviceType(info[0]))); });
  // (type, index) → [key0, value0, …] with string or number values
  MLXT_EXPORT(exports, "deviceInfo", {
    const auto& map = mx::device_info(ToDevice(info, 0));
    auto out = Napi::Array::New(info.Env(), map.size() * 2);
    uint32_t i = 0;
    for (const auto& [k, v] : map) {
      out.Set(i++, Napi::String::New(info.Env(), k));
      if (std::holds_alternative<std::string>(v)) {
        out.Set(i++, Napi::String::New(info.Env(), std::get<std::string>(v)));
      } else {
        out.Set(i++, Napi::Number::New(info.Env(), static_cast<double>(std::get<size_t>(v))));
      }
    }
    return out;
  });
  // (type, index) → [index, type, deviceIndex]
  MLXT_EXPORT(exports, "defaultStream", { return StreamTriple(info.Env(), mx::default_stream(ToDevice(info, 0))); });
  MLXT_EXPORT(exports, "newStream", { return StreamTriple(info.Env(), mx::new_stream(ToDevice(info, 0))); });
  MLXT_EXPORT(exports, "setDefaultStream", {
    mx::set_default_stream(ToKnownStream(info[0]));
    return info.Env().Undefined();
  });
  // (stream | undefined): waits for the work queued on that stream (the default one when omitted).
  MLXT_EXPORT(exports, "synchronize", {
    if (info[0].IsUndefined() || info[0].IsNull()) {
      mx::synchronize();
    } else {
      mx::synchronize(ToKnownStream(info[0]));
    }
    return info.Env().Undefined();
  });
}

}  // namespace mlxt
