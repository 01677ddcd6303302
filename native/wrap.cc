#include "wrap.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace mlxt {

namespace {

// A handle is a BigInt: bit 63 set (so no int64 scalar is ever taken for one), the pool's id in bits
// 56–62, the slot's generation in bits 24–55 and the slot in bits 0–23. A BigInt is an ordinary young
// V8 object with no weak reference behind it, unlike an External with a finalizer (two mallocs and two
// weak global handles per array, then the GC's weak-callback pass and a finalizer call for each), which
// cost more than MLX's own graph node. The GC safety net is a FinalizationRegistry on the TS side, and
// only for arrays no scope owns: arrays made inside mx.tidy are freed by the scope, natively, in one call.
constexpr uint64_t kTag = uint64_t{1} << 63;
constexpr int kPoolShift = 56;
constexpr int kGenShift = 24;
constexpr uint32_t kSlotMask = (1u << 24) - 1;
constexpr uint32_t kNoSlot = ~0u;

// A slot of wrap.cc's per-thread pool: the array (empty while the slot is free) and the bytes reported
// to V8 for it.
struct Holder {
  std::optional<mx::array> array;
  int64_t reportedBytes = 0;
  uint32_t slot = 0;      // own index in the pool
  uint32_t gen = 0;       // changes each time the slot is freed
  uint32_t nextFree = 0;  // pool bookkeeping
  uint32_t owner = 0;     // depth of the tidy scope that will free it; 0: the GC's safety net
  bool escaping = false;  // set while its scope closes, when it is handed out
};

// Holders live in slabs owned by the JS thread that made them (handles are used and freed on that
// thread only, so no lock). A slot is reused once its array is freed; its generation changes then, so
// an old handle is recognised as disposed and never reaches the new array.
class HolderPool {
 public:
  HolderPool() {
    static std::atomic<uint32_t> nextId{0};
    id_ = nextId++ % 127 + 1;  // 1–127: a BigInt 2^63 (pool 0) is never mistaken for a handle
  }
  Holder* Acquire() {
    if (free_ == kNoSlot) Grow();
    Holder* h = At(free_);
    free_ = h->nextFree;
    h->nextFree = kNoSlot;
    ++live_;
    return h;
  }
  // Frees the array (if any) and the slot; old handles to it are stale from here on.
  void Release(Holder* h) {
    h->array.reset();
    h->reportedBytes = 0;
    h->owner = 0;
    h->escaping = false;
    ++h->gen;
    h->nextFree = free_;
    free_ = h->slot;
    --live_;
  }
  uint64_t Encode(const Holder* h) const {
    return kTag | (uint64_t{id_} << kPoolShift) | (uint64_t{h->gen} << kGenShift) | h->slot;
  }
  // The holder a handle names, or null when `bits` is no handle of this pool. `stale` is set when it
  // was one whose array has since been freed.
  Holder* Decode(uint64_t bits, bool* stale) const {
    *stale = false;
    if (!(bits & kTag) || ((bits >> kPoolShift) & 127) != id_) return nullptr;
    uint32_t slot = static_cast<uint32_t>(bits) & kSlotMask;
    if (slot >= slabs_.size() * kSlots) return nullptr;
    Holder* h = At(slot);
    *stale = h->gen != static_cast<uint32_t>(bits >> kGenShift);
    return h;
  }
  Holder* At(uint32_t slot) const { return &slabs_[slot / kSlots][slot % kSlots]; }
  size_t Live() const { return live_; }
  // Frees every array still held (the environment is going away).
  void ReleaseAll() {
    for (uint32_t s = 0; s < slabs_.size() * kSlots; ++s) {
      Holder* h = At(s);
      if (h->array) Release(h);
    }
  }

 private:
  static constexpr uint32_t kSlots = 4096;
  void Grow() {
    if ((slabs_.size() + 1) * kSlots > kSlotMask + 1u) {
      throw std::runtime_error("more than 16 million MLX arrays alive at once on one thread");
    }
    auto* slab = new Holder[kSlots];  // never freed: handles may be checked until the thread ends
    uint32_t base = static_cast<uint32_t>(slabs_.size() * kSlots);
    for (uint32_t i = kSlots; i-- > 0;) {
      slab[i].slot = base + i;
      slab[i].nextFree = free_;
      free_ = base + i;
    }
    slabs_.push_back(slab);
  }
  std::vector<Holder*> slabs_;
  uint32_t free_ = kNoSlot;
  size_t live_ = 0;
  uint32_t id_;
};

HolderPool& Pool() {
  thread_local HolderPool* pool = new HolderPool();  // leaked on purpose, see Grow()
  return *pool;
}

// The open tidy scopes, innermost last: each lists the arrays made while it was innermost (or handed to
// it by an inner scope) as (slot, generation), so entries of arrays disposed early are skipped. The
// vectors are kept between scopes so a training step's scope allocates nothing.
struct ScopeEntry {
  uint32_t slot;
  uint32_t gen;
};
thread_local std::vector<std::vector<ScopeEntry>>* scopes = new std::vector<std::vector<ScopeEntry>>();
thread_local uint32_t scopeDepth = 0;

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
  if (scopeDepth == 0) FlushExternalBytes(env);
}

// Frees h's array and slot, taking back what was reported to V8 for it.
void Free(napi_env env, Holder* h) {
  if (h->reportedBytes) ReportExternalBytes(env, -h->reportedBytes);
  Pool().Release(h);
}

// The array now belongs to the GC's safety net (the TS side registers it): V8 counts its bytes.
void HandToGc(napi_env env, Holder* h) {
  h->owner = 0;
  h->reportedBytes = static_cast<int64_t>(h->array->nbytes());
  ReportExternalBytes(env, h->reportedBytes);
}

// HolderOf with the staleness of the handle reported instead of folded in.
Holder* Lookup(napi_env env, napi_value v, bool* stale) {
  uint64_t bits;
  bool lossless;
  *stale = false;
  // Fails (without throwing) for anything that is not a BigInt.
  if (napi_get_value_bigint_uint64(env, v, &bits, &lossless) != napi_ok || !lossless) return nullptr;
  return Pool().Decode(bits, stale);
}

void ReleaseAllOnTeardown(void* /*arg*/) { Pool().ReleaseAll(); }

// One N-API call where IsNumber + DoubleValue would make two (it fails, without throwing, for a non-number).
bool NumberValue(const Napi::Value& v, double* d) { return napi_get_value_double(v.Env(), v, d) == napi_ok; }

}  // namespace

std::string Describe(const mx::array& a) {
  std::ostringstream o;
  o << a.dtype() << ShapeString(a.shape());
  return o.str();
}

void InitHandles(napi_env env) { napi_add_env_cleanup_hook(env, ReleaseAllOnTeardown, nullptr); }

Napi::Value Wrap(Napi::Env env, mx::array a) {
  CheckArrayFits(a);
  HolderPool& pool = Pool();
  Holder* h = pool.Acquire();
  h->array.emplace(std::move(a));
  if (scopeDepth) {
    h->owner = scopeDepth;
    (*scopes)[scopeDepth - 1].push_back({h->slot, h->gen});
  } else {
    HandToGc(env, h);
  }
  napi_value out;
  if (napi_create_bigint_uint64(env, pool.Encode(h), &out) != napi_ok) {
    Free(env, h);
    throw Napi::Error::New(env, "could not create an array handle");
  }
  return Napi::Value(env, out);
}

Napi::Value WrapMany(Napi::Env env, const std::vector<mx::array>& arrays) {
  auto out = Napi::Array::New(env, arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) out.Set(i, Wrap(env, arrays[i]));
  return out;
}

size_t LiveHandles() { return Pool().Live(); }

bool IsArrayHandle(const Napi::Value& v) {
  bool stale;
  return Lookup(v.Env(), v, &stale) != nullptr;
}

namespace {
// The live holder behind `v`, null when v is no handle; throws when it is one already disposed.
Holder* HolderOf(const Napi::Value& v, const char* what) {
  bool stale;
  Holder* h = Lookup(v.Env(), v, &stale);
  if (stale) ThrowType(std::string(what) + " is an mx.array that was already disposed");
  return h;
}
}  // namespace

mx::array& Unwrap(const Napi::Value& v, const char* what) {
  Holder* h = HolderOf(v, what);
  if (!h) ThrowType(std::string("expected an mx.array for ") + what);
  return *h->array;
}

bool Dispose(const Napi::Value& v) {
  bool stale;
  Holder* h = Lookup(v.Env(), v, &stale);
  if (!h) ThrowType("expected an mx.array handle");
  if (stale) return false;
  Free(v.Env(), h);
  return true;
}

void OpenScope() {
  if (scopes->size() <= scopeDepth) scopes->emplace_back();
  ++scopeDepth;
}

std::vector<bool> CloseScope(napi_env env, const std::vector<Napi::Value>& escaping) {
  if (scopeDepth == 0) throw std::logic_error("closeScope: no tidy scope is open");
  uint32_t depth = scopeDepth;
  std::vector<std::pair<Holder*, size_t>> marked;  // this scope's arrays among `escaping`, with their index
  for (size_t i = 0; i < escaping.size(); ++i) {
    bool stale;
    Holder* h = Lookup(env, escaping[i], &stale);
    if (h && !stale && h->owner == depth && !h->escaping) {
      h->escaping = true;
      marked.push_back({h, i});
    }
  }
  auto& mine = (*scopes)[depth - 1];
  std::vector<ScopeEntry>* parent = depth > 1 ? &(*scopes)[depth - 2] : nullptr;
  // Last made, first freed (a consumer before its inputs), as reference counts drop a chain in Python.
  for (size_t i = mine.size(); i-- > 0;) {
    Holder* h = Pool().At(mine[i].slot);
    if (h->gen != mine[i].gen || h->owner != depth || h->escaping) continue;
    Free(env, h);
  }
  mine.clear();
  std::vector<bool> handedToGc(escaping.size(), false);
  for (auto [h, i] : marked) {
    h->escaping = false;
    if (parent) {
      h->owner = depth - 1;
      parent->push_back({h->slot, h->gen});
    } else {
      HandToGc(env, h);
      handedToGc[i] = true;
    }
  }
  scopeDepth = depth - 1;
  if (scopeDepth == 0) FlushExternalBytes(env);
  return handedToGc;
}

bool KeepOutOfScopes(const Napi::Value& v) {
  Holder* h = HolderOf(v, "array");
  if (!h) ThrowType("expected an mx.array handle");
  if (h->owner == 0) return false;
  HandToGc(v.Env(), h);
  return true;
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
  if (h) return *h->array;
  double d;
  if (NumberValue(v, &d)) return CachedNumberScalar(d, like, v);
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
  return ToArrayWith(HolderOf(v, what), v, like, what);
}

std::pair<mx::array, mx::array> ToArrayPair(const Napi::Value& a, const Napi::Value& b) {
  Holder* ha = HolderOf(a, "a");
  Holder* hb = HolderOf(b, "b");
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
  double d;
  if (!NumberValue(v, &d)) ThrowType(std::string("expected an integer for ") + what);
  if (!std::isfinite(d) || std::floor(d) != d) {
    ThrowType(std::string("expected an integer for ") + what + " but received " + std::to_string(d));
  }
  if (d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max()) {
    ThrowRange(std::string(what) + " is outside the 32-bit integer range");
  }
  return static_cast<int>(d);
}

double ToDouble(const Napi::Value& v, const char* what) {
  double d;
  if (!NumberValue(v, &d)) ThrowType(std::string("expected a number for ") + what);
  return d;
}

bool ToBool(const Napi::Value& v, const char* what) {
  if (!v.IsBoolean()) ThrowType(std::string("expected a boolean for ") + what);
  return v.As<Napi::Boolean>().Value();
}

namespace {
// A number or an array of integers into `Ints` (std::vector or MLX's small-vector Shape, which holds a
// short shape without a heap allocation).
template <typename Ints>
Ints ReadInts(const Napi::Value& v, const char* what) {
  Ints out;
  if (v.IsNumber()) {
    out.push_back(ToInt(v, what));
    return out;
  }
  if (!v.IsArray()) ThrowType(std::string("expected an array of integers for ") + what);
  auto arr = v.As<Napi::Array>();
  uint32_t n = arr.Length();
  for (uint32_t i = 0; i < n; ++i) out.push_back(ToInt(arr.Get(i), what));
  return out;
}
}  // namespace

std::vector<int> ToIntVector(const Napi::Value& v, const char* what) { return ReadInts<std::vector<int>>(v, what); }

mx::Shape ToIntShape(const Napi::Value& v, const char* what) { return ReadInts<mx::Shape>(v, what); }

mx::Shape ToShape(const Napi::Value& v, const char* what) {
  mx::Shape s = ToIntShape(v, what);
  for (int d : s) {
    if (d < 0) ThrowRange(std::string(what) + " has a negative dimension " + std::to_string(d));
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
  napi_valuetype type = v.Type();  // one N-API call: every op reads its stream argument, nearly always undefined
  if (type == napi_undefined || type == napi_null) return {};
  if (type == napi_string) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "cpu") return mx::Device(mx::Device::cpu);
    if (s == "gpu") return mx::Device(mx::Device::gpu);
    ThrowType("expected 'cpu' or 'gpu' for device but received '" + s + "'");
  }
  if (type == napi_object) {
    auto o = v.As<Napi::Object>();
    int index = ToInt(o.Get("index"), "stream.index");
    std::string dev = o.Get("device").IsString() ? o.Get("device").As<Napi::String>().Utf8Value() : "cpu";
    int devIndex = o.Get("deviceIndex").IsNumber() ? ToInt(o.Get("deviceIndex"), "stream.deviceIndex") : 0;
    return mx::Stream(index, mx::Device(dev == "gpu" ? mx::Device::gpu : mx::Device::cpu, devIndex));
  }
  ThrowType("expected a stream, a device name or undefined");
}

}  // namespace mlxt
