// A mutation fuzzer for the native layer's input paths, built with AddressSanitizer + UBSan by
// scripts/fuzz.sh. Two targets, each run as the binding runs it:
//   safetensors: bytes → a file → mx::load_safetensors (MLX's reader, what loadSafetensors calls) →
//                CheckArrayFits on every array (what Wrap does) → evaluate and read the small ones;
//   arrays:      bytes → dtype, shape and data → ArrayFromBytes (mx.array of a TypedArray), full,
//                reshape and astype, each result checked and evaluated like the binding's.
// A self-written driver instead of libFuzzer so plain g++ builds it: seeds (valid files and arrays,
// plus any files named on the command line) are mutated at random, with header-aware mutations that
// plant boundary numbers (2^31, 2^32, -1, 2^63, …) in the JSON. An exception is a clean rejection; an
// ASan/UBSan report, a signal or an abort is a finding, and the input is written to crash-<target>.bin.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../checked.h"

extern "C" void __sanitizer_set_death_callback(void (*)(void));

namespace {

namespace mx = mlx::core;
using Bytes = std::vector<uint8_t>;

const mx::Dtype kDtypes[] = {mx::bool_, mx::uint8, mx::uint16, mx::uint32, mx::uint64, mx::int8, mx::int16,
                             mx::int32, mx::int64, mx::float16, mx::float32, mx::float64, mx::bfloat16, mx::complex64};
const char* kDtypeNames[] = {"BOOL", "U8", "U16", "U32", "U64", "I8", "I16", "I32", "I64", "F16", "F32", "F64", "BF16", "C64", "F8_E4M3", "Q99", ""};
const char* kNumbers[] = {"0", "1", "-1", "2", "7", "255", "65536", "2147483647", "2147483648", "4294967295", "4294967296",
                          "4294967297", "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615",
                          "18446744073709551616", "-2147483648", "1e30", "1.5", "-0", "null", "[]", "\"x\""};
const char* kShapes[] = {"[]", "[0]", "[-1]", "[-1,4]", "[-1,-4]", "[4294967296]", "[4294967297]", "[4294967296,4294967296]",
                         "[65536,65536,65536,65536]", "[2147483647,2147483647,4]", "[2147483648,2]", "[1,1,1,1,1,1,1,1,1]", "[3,4]", "[2,2,2]"};

// What the death callback and signal handlers write out: the input being run when the process died.
const Bytes* g_current = nullptr;
const char* g_target = "none";

void DumpCurrent() {
  if (!g_current) return;
  char name[64];
  std::snprintf(name, sizeof name, "crash-%s.bin", g_target);
  FILE* f = std::fopen(name, "wb");
  if (f) {
    std::fwrite(g_current->data(), 1, g_current->size(), f);
    std::fclose(f);
  }
  std::fprintf(stderr, "fuzz: FINDING in target %s; input written to %s\n", g_target, name);
}

void OnSignal(int sig) {
  DumpCurrent();
  signal(sig, SIG_DFL);
  raise(sig);
}

// What the binding does with an array before JS sees it, then reads every evaluated byte so ASan sees
// any out-of-bounds buffer. An accepted array whose byte count overflowed (MLX's size is a wrapping
// size_t product) is a finding even when nothing is read: its buffer is smaller than its shape.
void Touch(mx::array a) {
  mlxt::CheckArrayFits(a);
  double exact = static_cast<double>(a.itemsize());
  for (auto d : a.shape()) exact *= static_cast<double>(d);
  if (exact != static_cast<double>(a.nbytes())) {
    std::fprintf(stderr, "fuzz: accepted %s with an overflowing byte count\n", mlxt::ShapeString(a.shape()).c_str());
    std::abort();
  }
  if (a.nbytes() > (64u << 20)) return;  // real memory: the OOM path is tested in test/core/malformed-calls
  a = mx::contiguous(a);
  a.eval();
  const uint8_t* p = a.data<uint8_t>();
  volatile uint8_t sum = 0;
  for (size_t i = 0; i < a.nbytes(); ++i) sum = sum + p[i];
}

// ---- target 1: safetensors ----
std::string g_file;

void RunSafetensors(const Bytes& in) {
  {
    std::ofstream f(g_file, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(in.data()), static_cast<std::streamsize>(in.size()));
  }
  auto loaded = mx::load_safetensors(g_file);
  for (auto& [name, a] : loaded.first) Touch(a);
}

// ---- target 2: array construction ----
struct Cursor {
  const Bytes& b;
  size_t at = 0;
  uint8_t u8() { return at < b.size() ? b[at++] : 0; }
  int32_t i32() {
    uint8_t kind = u8();
    if (kind % 2 == 0) {  // a boundary value
      static const int32_t edge[] = {0, 1, -1, 2, 3, 1 << 16, (1 << 30), 2147483647, -2147483647 - 1, 46341, 65535};
      return edge[u8() % (sizeof edge / sizeof edge[0])];
    }
    return static_cast<int32_t>(u8() % 9);
  }
};

void RunArrays(const Bytes& in) {
  Cursor c{in};
  mx::Dtype dtype = kDtypes[c.u8() % 14];
  mx::Shape shape(c.u8() % 6);
  for (auto& d : shape) d = c.i32();
  uint8_t op = c.u8() % 4;
  const uint8_t* data = in.data() + std::min(c.at, in.size());
  size_t have = in.size() - std::min(c.at, in.size());
  if (op == 0) {
    Touch(mlxt::ArrayFromBytes(data, have, shape, dtype));
  } else if (op == 1) {
    // full: the binding validates the shape (no negative dims) before MLX sees it, as ToShape does
    for (auto d : shape) if (d < 0) throw std::invalid_argument("negative dimension");
    mx::array v = mx::full(shape, mx::array(static_cast<int32_t>(c.u8())), dtype);
    Touch(v);
  } else {
    // reshape / astype of a small array made from the data
    size_t item = dtype.size();
    size_t n = have / item;
    mx::array a = mlxt::ArrayFromBytes(data, n * item, {static_cast<int>(n)}, dtype);
    mx::array r = op == 2 ? mx::reshape(a, shape) : mx::astype(a, kDtypes[c.u8() % 14]);
    Touch(r);
  }
}

// ---- mutations ----
void MutateHeader(Bytes& b, std::mt19937_64& rng) {
  if (b.size() < 8) return;
  uint64_t len = 0;
  std::memcpy(&len, b.data(), 8);
  if (len == 0 || len > b.size() - 8) return;
  std::string header(b.begin() + 8, b.begin() + 8 + static_cast<long>(len));
  std::string body(b.begin() + 8 + static_cast<long>(len), b.end());
  // Pick a number or a dtype string in the JSON and replace it.
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < header.size();) {
    if (std::isdigit(static_cast<unsigned char>(header[i])) || header[i] == '-') {
      size_t j = i;
      while (j < header.size() && (std::isdigit(static_cast<unsigned char>(header[j])) || strchr("-.e+", header[j]))) ++j;
      spans.push_back({i, j - i});
      i = j;
    } else if (header.compare(i, 8, "\"shape\":") == 0 && rng() % 4 == 0) {
      // Occasionally the whole shape list, so that several boundary dims land together.
      size_t s = i + 8, e = header.find(']', s);
      if (e == std::string::npos) break;
      spans.push_back({s, e + 1 - s});
      i = e;
    } else if (header.compare(i, 9, "\"dtype\":\"") == 0) {
      size_t s = i + 9, e = header.find('"', s);
      if (e == std::string::npos) break;
      spans.push_back({s, e - s});
      i = e;
    } else {
      ++i;
    }
  }
  if (spans.empty()) return;
  auto [at, n] = spans[rng() % spans.size()];
  bool isDtype = at > 0 && header[at - 1] == '"';
  bool isShape = header[at] == '[';
  std::string with = isShape   ? kShapes[rng() % (sizeof kShapes / sizeof kShapes[0])]
                     : isDtype ? kDtypeNames[rng() % (sizeof kDtypeNames / sizeof kDtypeNames[0])]
                               : kNumbers[rng() % (sizeof kNumbers / sizeof kNumbers[0])];
  header.replace(at, n, with);
  uint64_t newLen = header.size();
  Bytes out(8);
  std::memcpy(out.data(), &newLen, 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
  b.swap(out);
}

void Mutate(Bytes& b, std::mt19937_64& rng, bool safetensors) {
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    switch (rng() % (safetensors ? 8 : 6)) {
      case 0: if (!b.empty()) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      case 1: if (!b.empty()) b[rng() % b.size()] = static_cast<uint8_t>(rng()); break;
      case 2: b.insert(b.begin() + static_cast<long>(b.empty() ? 0 : rng() % b.size()), static_cast<uint8_t>(rng())); break;
      case 3: if (!b.empty()) b.erase(b.begin() + static_cast<long>(rng() % b.size())); break;
      case 4: if (!b.empty()) b.resize(rng() % b.size()); break;
      case 5: { size_t n = rng() % 64; for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(rng())); break; }
      case 6: case 7: MutateHeader(b, rng); break;
    }
  }
  if (safetensors && b.size() >= 8 && rng() % 16 == 0) {  // a boundary header length
    static const uint64_t lens[] = {0, 1, 7, 0xffffffffull, 0x7fffffffffffffffull, ~0ull, 100ull << 20};
    std::memcpy(b.data(), &lens[rng() % 7], 8);
  }
}

Bytes ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::vector<Bytes> SafetensorsSeeds(const std::vector<std::string>& files) {
  std::vector<Bytes> seeds;
  std::unordered_map<std::string, mx::array> arrays = {
      {"w", mx::reshape(mx::arange(12.0f), {3, 4})}, {"i", mx::array({1, 2, 3})}, {"h", mx::astype(mx::array({1.5f, 2.0f}), mx::float16)},
      {"b", mx::array({true, false})}, {"e", mx::zeros({0, 3})}, {"s", mx::array(7)}};
  mx::save_safetensors(g_file, arrays, {{"format", "seed"}});
  seeds.push_back(ReadFile(g_file));
  mx::save_safetensors(g_file, {{"x", mx::ones({2, 2})}});
  seeds.push_back(ReadFile(g_file));
  for (const auto& f : files) seeds.push_back(ReadFile(f));
  return seeds;
}

std::vector<Bytes> ArraySeeds() {
  std::vector<Bytes> seeds;
  for (uint8_t dt = 0; dt < 14; ++dt) {
    for (uint8_t op = 0; op < 4; ++op) {
      Bytes b = {dt, 2, 1, 2, 1, 3, op};  // shape [2, 3] (non-boundary kinds), op
      for (int i = 0; i < 6 * 16; ++i) b.push_back(static_cast<uint8_t>(i));
      seeds.push_back(b);
    }
  }
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 10;
  std::vector<std::string> files(argv + std::min(argc, 2), argv + argc);
  g_file = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/mlxt-fuzz-" + std::to_string(getpid()) + ".safetensors";
  __sanitizer_set_death_callback(DumpCurrent);
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) signal(sig, OnSignal);

  std::mt19937_64 rng(std::random_device{}());
  auto seedsS = SafetensorsSeeds(files);
  auto seedsA = ArraySeeds();
  // Inputs that were accepted (loaded/built) are kept as further seeds, a crude coverage signal.
  std::vector<Bytes> poolS = seedsS, poolA = seedsA;
  uint64_t execs[2] = {0, 0}, accepted[2] = {0, 0};
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  while (elapsed() < seconds) {
    for (int t = 0; t < 2; ++t) {
      auto& pool = t == 0 ? poolS : poolA;
      Bytes in = pool[rng() % pool.size()];
      Mutate(in, rng, t == 0);
      g_current = &in;
      g_target = t == 0 ? "safetensors" : "arrays";
      try {
        if (t == 0) RunSafetensors(in); else RunArrays(in);
        accepted[t]++;
        if (pool.size() < 4096 && rng() % 8 == 0) pool.push_back(in);
      } catch (const std::exception&) {
        // a clean rejection: what the binding turns into a JS error
      }
      g_current = nullptr;
      execs[t]++;
    }
  }
  std::remove(g_file.c_str());
  std::printf("fuzz: %llu executions in %.1f s (safetensors %llu, %llu accepted; arrays %llu, %llu accepted), 0 findings\n",
              static_cast<unsigned long long>(execs[0] + execs[1]), elapsed(), static_cast<unsigned long long>(execs[0]),
              static_cast<unsigned long long>(accepted[0]), static_cast<unsigned long long>(execs[1]),
              static_cast<unsigned long long>(accepted[1]));
  return 0;
}
