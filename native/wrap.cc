#include "wrap.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace mlxt {

namespace {

// Holders come from slabs owned by the JS thread that made them (handles never cross threads, and
// finalizers run on that thread, so no lock is needed). A pointer taken from an External is ours only if
// it lands exactly on a slot of one of this thread's slabs, a check that never reads foreign memory; so
// a foreign External (another addon's) is refused. This replaces napi type tags, which cost a private
// property write per array and a lookup per argument, and saves a malloc per array.
class HolderPool {
 public:
  Holder* Acquire() {
    if (!free_) Grow();
    Holder* h = free_;
    free_ = h->nextFree;
    h->nextFree = nullptr;
    h->live = true;
    return h;
  }
  void Release(Holder* h) {
    h->array.reset();
    h->reportedBytes = 0;
    h->live = false;
    h->nextFree = free_;
    free_ = h;
  }
  Holder* Find(void* p) const {
    auto addr = reinterpret_cast<uintptr_t>(p);
    // The slab starting at or below addr (slabs_ is sorted by address).
    auto it = std::upper_bound(slabs_.begin(), slabs_.end(), addr);
    if (it == slabs_.begin()) return nullptr;
    uintptr_t base = *--it;
    uintptr_t offset = addr - base;
    if (offset >= kSlots * sizeof(Holder) || offset % sizeof(Holder) != 0) return nullptr;
    auto* h = reinterpret_cast<Holder*>(addr);
    return h->live ? h : nullptr;
  }

 private:
  static constexpr size_t kSlots = 4096;
  void Grow() {
    auto* slab = new Holder[kSlots];  // never freed: finalizers may run during thread/process exit
    for (size_t i = kSlots; i-- > 0;) {
      slab[i].nextFree = free_;
      free_ = &slab[i];
    }
    auto base = reinterpret_cast<uintptr_t>(slab);
    slabs_.insert(std::upper_bound(slabs_.begin(), slabs_.end(), base), base);
  }
  std::vector<uintptr_t> slabs_;
  Holder* free_ = nullptr;
};

thread_local bool scopeOpen = false;

HolderPool& Pool() {
  thread_local HolderPool* pool = new HolderPool();  // leaked on purpose, see Grow()
  return *pool;
}

// Tells V8 about native bytes gained or freed, in batches: a call per tiny array costs more than the
// array's own graph node, and V8 only needs the total to within a few tens of KB to pace its GC.
// While a tidy scope is open nothing is sent: a training step disposes last step's weights and optimizer
// state and keeps the new ones, and V8 must see the net change (about zero), not a 270 MB drop and rise,
// each of which can set its next full collection off.
thread_local int64_t pendingBytes = 0;

void FlushExternalBytes(napi_env env) {
  constexpr int64_t kBatch = 64 * 1024;
  if (pendingBytes >= kBatch || pendingBytes <= -kBatch) {
    int64_t ignored;
    napi_adjust_external_memory(env, pendingBytes, &ignored);
    pendingBytes = 0;
  }
}

void ReportExternalBytes(napi_env env, int64_t delta) {
  pendingBytes += delta;
  if (!scopeOpen) FlushExternalBytes(env);
}

// A plain N-API finalizer (node-addon-api's typed one costs an extra allocation per array).
void Finalize(napi_env env, void* data, void* /*hint*/) {
  auto* h = static_cast<Holder*>(data);
  if (h->array) ReportExternalBytes(env, -h->reportedBytes);
  Pool().Release(h);
}

Holder* HolderOf(const Napi::Value& v) {
  void* data = nullptr;
  // Fails (without throwing) for anything that is not an External.
  if (napi_get_value_external(v.Env(), v, &data) != napi_ok || !data) return nullptr;
  return Pool().Find(data);
}

}  // namespace

std::string Describe(const mx::array& a) {
  std::ostringstream o;
  o << a.dtype() << ShapeString(a.shape());
  return o.str();
}

Napi::Value Wrap(Napi::Env env, mx::array a) {
  CheckArrayFits(a);
  int64_t bytes = static_cast<int64_t>(a.nbytes());
  Holder* h = Pool().Acquire();
  h->array.emplace(std::move(a));
  h->reportedBytes = scopeOpen ? 0 : bytes;
  napi_value ext;
  if (napi_create_external(env, h, Finalize, nullptr, &ext) != napi_ok) {
    Pool().Release(h);
    throw Napi::Error::New(env, "could not create an array handle");
  }
  if (!scopeOpen) ReportExternalBytes(env, bytes);
  return Napi::Value(env, ext);
}

Napi::Value WrapMany(Napi::Env env, const std::vector<mx::array>& arrays) {
  auto out = Napi::Array::New(env, arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) out.Set(i, Wrap(env, arrays[i]));
  return out;
}

bool IsArrayHandle(const Napi::Value& v) { return HolderOf(v) != nullptr; }

mx::array& Unwrap(const Napi::Value& v, const char* what) {
  Holder* h = HolderOf(v);
  if (!h) ThrowType(std::string("expected an mx.array for ") + what);
  if (!h->array) ThrowType(std::string(what) + " is an mx.array that was already disposed");
  return *h->array;
}

bool Dispose(const Napi::Value& v) {
  Holder* h = HolderOf(v);
  if (!h) ThrowType("expected an mx.array handle");
  if (!h->array) return false;
  h->array.reset();
  ReportExternalBytes(v.Env(), -h->reportedBytes);
  h->reportedBytes = 0;
  return true;
}

void SetScopeOpen(napi_env env, bool open) {
  scopeOpen = open;
  if (!open) FlushExternalBytes(env);
}

void ReportToGc(const Napi::Value& v) {
  Holder* h = HolderOf(v);
  if (!h) ThrowType("expected an mx.array handle");
  // A zero-byte array has nothing to report, so reporting it again is harmless.
  if (!h->array || h->reportedBytes != 0) return;
  h->reportedBytes = static_cast<int64_t>(h->array->nbytes());
  ReportExternalBytes(v.Env(), h->reportedBytes);
}

namespace {

// The scalar made without an array to follow: int32, int64 when it needs more, float32 otherwise (JS
// cannot tell 1e30 from an integer, so a huge whole number is taken as the float it most likely is).
mx::array UntypedScalar(double d, bool integral) {
  if (integral && d >= std::numeric_limits<int32_t>::min() && d <= std::numeric_limits<int32_t>::max()) {
    return mx::array(static_cast<int32_t>(d), mx::int32);
  }
  if (integral && std::fabs(d) < 9.2e18) return mx::array(static_cast<int64_t>(d), mx::int64);
  return mx::array(static_cast<float>(d), mx::float32);
}

template <typename T>
bool Fits(long double v) {
  return v >= static_cast<long double>(std::numeric_limits<T>::min()) &&
         v <= static_cast<long double>(std::numeric_limits<T>::max());
}

// `v` made a `t` (an integer type) would not fit it.
[[noreturn]] void ThrowOverflow(const Napi::Value& v, mx::Dtype t) {
  std::ostringstream o;
  o << "Converting " << v.ToString().Utf8Value() << " to " << t << " would result in overflow.";
  throw std::invalid_argument(o.str());
}

// Like Python, 64-bit types only need the value to be an int64 (so -1 as uint64 wraps around).
bool FitsInteger(long double v, mx::Dtype t) {
  return t == mx::int8     ? Fits<int8_t>(v)
         : t == mx::int16  ? Fits<int16_t>(v)
         : t == mx::int32  ? Fits<int32_t>(v)
         : t == mx::uint8  ? Fits<uint8_t>(v)
         : t == mx::uint16 ? Fits<uint16_t>(v)
         : t == mx::uint32 ? Fits<uint32_t>(v)
                           : Fits<int64_t>(v);
}

// A JS number as an MLX scalar, typed as MLX's Python binding would next to `like` (null: no array to
// follow). Throws for an integer that like's integer dtype cannot hold.
mx::array NumberScalar(double d, const mx::array* like, const Napi::Value& v) {
  bool integral = std::isfinite(d) && std::floor(d) == d;
  if (!like) return UntypedScalar(d, integral);
  mx::Dtype t = like->dtype();
  if (mx::issubdtype(t, mx::inexact)) return mx::array(d, t);
  // An integer scalar keeps an integer array's type, as in MLX's Python binding, and so must fit it
  // (Python refuses uint8 + 300 rather than wrapping); a fraction promotes to float32, and a bool array
  // takes the scalar's own type.
  if (!integral) return mx::array(static_cast<float>(d), mx::float32);
  if (t == mx::bool_) return UntypedScalar(d, integral);
  CheckScalarFits(v, t);
  return mx::array(static_cast<int64_t>(d), t);
}

// Recent number scalars, shared: `y * 0.999` in a loop would otherwise allocate, fill and later free a
// new 4-byte array per op. Sharing is safe: a scalar made from data is never recomputed, and MLX only
// donates the buffer of an array nothing else references, which the table's copy rules out. Keyed by
// the value's bits and the typing rule (like's dtype or none), which together decide the result; a
// value whose check threw is never stored. Direct-mapped, so it never grows past 256 entries.
mx::array CachedNumberScalar(double d, const mx::array* like, const Napi::Value& v) {
  struct Entry {
    uint64_t bits = 0;
    int rule = -1;
    std::optional<mx::array> scalar;
  };
  // Leaked on purpose: these arrays must not be destroyed after MLX's allocator at process exit.
  thread_local auto* table = new std::array<Entry, 256>();
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  int rule = like ? static_cast<int>(like->dtype().val()) : 255;
  Entry& e = (*table)[((bits ^ static_cast<uint64_t>(rule)) * 0x9E3779B97F4A7C15ull) >> 56];
  if (e.scalar && e.bits == bits && e.rule == rule) return *e.scalar;
  mx::array made = NumberScalar(d, like, v);
  e.scalar.emplace(made);
  e.bits = bits;
  e.rule = rule;
  return made;
}

// ToArray with the argument's HolderOf (null for a JS scalar) already looked up.
mx::array ToArrayWith(Holder* h, const Napi::Value& v, const mx::array* like, const char* what) {
  if (h) {
    if (!h->array) ThrowType(std::string(what) + " is an mx.array that was already disposed");
    return *h->array;
  }
  if (v.IsNumber()) return CachedNumberScalar(v.As<Napi::Number>().DoubleValue(), like, v);
  if (v.IsBoolean()) return mx::array(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) ThrowRange(std::string(what) + " is a BigInt outside the int64 range");
    if (!like || !mx::issubdtype(like->dtype(), mx::integer)) return mx::array(x, mx::int64);
    CheckScalarFits(v, like->dtype());
    return mx::array(x, like->dtype());
  }
  ThrowType(std::string("expected an mx.array or a number for ") + what);
}

}  // namespace

void CheckScalarFits(const Napi::Value& v, mx::Dtype t) {
  if (!mx::issubdtype(t, mx::integer)) return;
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && !FitsInteger(d, t)) ThrowOverflow(v, t);
  } else if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless || !FitsInteger(static_cast<long double>(x), t)) ThrowOverflow(v, t);
  }
}

mx::array ToArray(const Napi::Value& v, const mx::array* like, const char* what) {
  return ToArrayWith(HolderOf(v), v, like, what);
}

std::pair<mx::array, mx::array> ToArrayPair(const Napi::Value& a, const Napi::Value& b) {
  Holder* ha = HolderOf(a);
  Holder* hb = HolderOf(b);
  if (ha || !hb) {
    mx::array x = ToArrayWith(ha, a, nullptr, "a");
    return {x, ToArrayWith(hb, b, ha ? &x : nullptr, "b")};
  }
  mx::array y = ToArrayWith(hb, b, nullptr, "b");
  return {ToArrayWith(ha, a, &y, "a"), y};
}

namespace {
const mx::Dtype kDtypes[] = {mx::bool_,  mx::uint8,   mx::uint16,  mx::uint32,  mx::uint64,
                             mx::int8,   mx::int16,   mx::int32,   mx::int64,   mx::float16,
                             mx::float32, mx::float64, mx::bfloat16, mx::complex64};
}

mx::Dtype ToDtype(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowType(std::string("expected a dtype for ") + what);
  int code = v.As<Napi::Number>().Int32Value();
  if (code < 0 || code >= static_cast<int>(sizeof(kDtypes) / sizeof(kDtypes[0]))) {
    ThrowRange(std::string("unknown dtype code ") + std::to_string(code) + " for " + what);
  }
  return kDtypes[code];
}

int DtypeCode(mx::Dtype d) { return static_cast<int>(d.val()); }

int ToInt(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowType(std::string("expected an integer for ") + what);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) {
    ThrowType(std::string("expected an integer for ") + what + " but received " + std::to_string(d));
  }
  if (d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max()) {
    ThrowRange(std::string(what) + " is outside the 32-bit integer range");
  }
  return static_cast<int>(d);
}

double ToDouble(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) ThrowType(std::string("expected a number for ") + what);
  return v.As<Napi::Number>().DoubleValue();
}

bool ToBool(const Napi::Value& v, const char* what) {
  if (!v.IsBoolean()) ThrowType(std::string("expected a boolean for ") + what);
  return v.As<Napi::Boolean>().Value();
}

std::vector<int> ToIntVector(const Napi::Value& v, const char* what) {
  if (v.IsNumber()) return {ToInt(v, what)};
  if (!v.IsArray()) ThrowType(std::string("expected an array of integers for ") + what);
  auto arr = v.As<Napi::Array>();
  std::vector<int> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out[i] = ToInt(arr.Get(i), what);
  return out;
}

mx::Shape ToShape(const Napi::Value& v, const char* what) {
  auto ints = ToIntVector(v, what);
  mx::Shape s;
  for (int d : ints) {
    if (d < 0) ThrowRange(std::string(what) + " has a negative dimension " + std::to_string(d));
    s.push_back(d);
  }
  return s;
}

std::optional<std::vector<int>> ToAxes(const Napi::Value& v, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return ToIntVector(v, what);
}

std::vector<mx::array> ToArrayList(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) ThrowType(std::string("expected a list of mx.arrays for ") + what);
  auto arr = v.As<Napi::Array>();
  std::vector<mx::array> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(Unwrap(arr.Get(i), what));
  return out;
}

mx::StreamOrDevice ToStream(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "cpu") return mx::Device(mx::Device::cpu);
    if (s == "gpu") return mx::Device(mx::Device::gpu);
    ThrowType("expected 'cpu' or 'gpu' for device but received '" + s + "'");
  }
  if (v.IsObject()) {
    auto o = v.As<Napi::Object>();
    int index = ToInt(o.Get("index"), "stream.index");
    std::string dev = o.Get("device").IsString() ? o.Get("device").As<Napi::String>().Utf8Value() : "cpu";
    int devIndex = o.Get("deviceIndex").IsNumber() ? ToInt(o.Get("deviceIndex"), "stream.deviceIndex") : 0;
    return mx::Stream(index, mx::Device(dev == "gpu" ? mx::Device::gpu : mx::Device::cpu, devIndex));
  }
  ThrowType("expected a stream, a device name or undefined");
}

}  // namespace mlxt
