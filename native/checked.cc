#include "checked.h"

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace mlxt {

namespace {

std::string Gigabytes(double bytes) {
  std::ostringstream o;
  o.precision(3);
  o << bytes / 1e9 << " GB";
  return o.str();
}

}  // namespace

std::string ShapeString(const mx::Shape& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

// Every array reaches JS with its shape known before evaluation, so the check costs a few multiplies.
// The product is taken in double so that no shape can overflow the check itself.
void CheckArrayFits(const mx::array& a) {
  double bytes = static_cast<double>(a.itemsize());
  for (auto d : a.shape()) {
    if (d < 0) throw std::invalid_argument("array of shape " + ShapeString(a.shape()) + " has a negative dimension");
    bytes *= static_cast<double>(d);
  }
  if (bytes < static_cast<double>(1u << 30)) return;  // under 1 GiB: skip the limit lookup
  double limit = static_cast<double>(mx::get_memory_limit());
  if (bytes <= limit) return;
  std::ostringstream o;
  o << "cannot allocate " << a.dtype() << ShapeString(a.shape()) << " (" << Gigabytes(bytes)
    << "): more than the memory limit of " << Gigabytes(limit) << " (mx.getMemoryLimit())";
  throw MemoryError(o.str());
}

mx::array ArrayFromBytes(const void* src, size_t have, const mx::Shape& shape, mx::Dtype dtype) {
  size_t bytes = dtype.size();
  bool overflow = false;
  for (auto d : shape) {
    if (d < 0) throw std::out_of_range("shape " + ShapeString(shape) + " has a negative dimension");
    overflow = overflow || __builtin_mul_overflow(bytes, static_cast<size_t>(d), &bytes);
  }
  if (overflow || have != bytes) {
    std::ostringstream o;
    o << "data holds " << have << " bytes but shape " << ShapeString(shape) << " of "
      << (dtype == mx::bool_ ? "bool" : "this dtype") << " needs "
      << (overflow ? std::string("more than 2^64") : std::to_string(bytes));
    throw std::out_of_range(o.str());
  }
  // mx::array(void*, …, deleter) adopts the buffer: give it an owned copy freed with free().
  void* buf = std::malloc(bytes ? bytes : 1);
  if (!buf) throw std::bad_alloc();
  if (bytes) std::memcpy(buf, src, bytes);
  mx::array out(buf, shape, dtype, [](void* p) { std::free(p); });
  CheckArrayFits(out);
  return out;
}

}  // namespace mlxt
