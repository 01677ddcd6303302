// MLX's distributed API (mlx/distributed/{distributed,ops}.h): groups and collective ops, plus a
// watchdog for the calls where MLX can block forever.
//
// What MLX does (0.32.4, ring backend): `init` reads MLX_RANK and MLX_HOSTFILE, then accept()s its left
// neighbour and connect()s to its right one with a few retries; accept() has no timeout, so a peer that
// never starts blocks init forever. Collectives run on the CPU stream's thread and wait on socket
// futures; a peer that dies mid-collective can leave that wait unfinished. Neither can be cancelled
// from outside, so a blocking call is bracketed by the watchdog below: past its deadline it prints which
// call on which rank stalled and ends the process with exit code 124 (a stalled MLX stream thread cannot
// be recovered in-process, and exit() could wait on it while running static destructors).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "exports.h"
#include "mlx/distributed/distributed.h"
#include "mlx/distributed/ops.h"
#include "wrap.h"

namespace mlxt {

namespace dist = mx::distributed;

namespace {

// Tag that marks an External as a group of ours, so a foreign External is refused instead of cast.
const napi_type_tag kGroupTag = {0x6d6c787464697374ULL, 0x67726f7570763031ULL};

Napi::Value WrapGroup(Napi::Env env, dist::Group group) {
  auto* box = new dist::Group(std::move(group));
  auto ext = Napi::External<dist::Group>::New(env, box, [](Napi::Env, dist::Group* g) { delete g; });
  if (napi_type_tag_object(env, ext, &kGroupTag) != napi_ok) throw Napi::Error::New(env, "could not tag a group handle");
  return ext;
}

dist::Group& UnwrapGroup(const Napi::Value& v, const char* what = "group") {
  bool tagged = false;
  if (v.IsExternal()) napi_check_object_type_tag(v.Env(), v, &kGroupTag, &tagged);
  if (!tagged) ThrowType(std::string("expected a distributed group handle for ") + what);
  return *v.As<Napi::External<dist::Group>>().Data();
}

// An optional group argument: undefined means MLX's default (the group of the last init).
std::optional<dist::Group> ToGroup(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return std::nullopt;
  return UnwrapGroup(v);
}

// One watchdog thread per process: it can only act by ending the process, which is process-wide by
// nature, so it is deliberately not per-environment state. Arm/Disarm are called from the JS thread.
class Watchdog {
 public:
  static Watchdog& Get() {
    static Watchdog* w = new Watchdog();  // leaked: must outlive static destructors of a stalled exit
    return *w;
  }
  void Arm(double timeoutMs, std::string label) {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_ = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeoutMs * 1000));
    timeoutMs_ = timeoutMs;
    label_ = std::move(label);
    armed_ = true;
    if (!started_) {
      started_ = true;
      std::thread([this] { Run(); }).detach();
    }
    wake_.notify_all();
  }
  void Disarm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
    wake_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (!armed_) {
        wake_.wait(lock);
        continue;
      }
      auto deadline = deadline_;
      if (wake_.wait_until(lock, deadline) == std::cv_status::timeout && armed_ && deadline_ == deadline) {
        std::string msg = "mlx-train: distributed " + label_ + " did not finish within " +
                          std::to_string(static_cast<long long>(timeoutMs_)) +
                          " ms: a peer process has exited or is unreachable; stopping this process (exit 124)\n";
        ssize_t ignored = ::write(2, msg.data(), msg.size());
        (void)ignored;
        ::_exit(124);
      }
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::chrono::steady_clock::time_point deadline_;
  double timeoutMs_ = 0;
  std::string label_;
  bool armed_ = false;
  bool started_ = false;
};

}  // namespace

void InitDistributed(Napi::Object exports) {
  // (backend?) → whether that backend (or any, when omitted) is compiled into libmlx and usable.
  MLXT_EXPORT(exports, "distributedIsAvailable", {
    if (info[0].IsUndefined()) return Napi::Boolean::New(info.Env(), dist::is_available());
    if (!info[0].IsString()) ThrowType("expected a backend name (string) for backend");
    return Napi::Boolean::New(info.Env(), dist::is_available(info[0].As<Napi::String>().Utf8Value()));
  });
  // (strict, backend) → group. With the ring backend this blocks until both neighbours are connected.
  MLXT_EXPORT(exports, "distributedInit", {
    bool strict = ToBool(info[0], "strict");
    if (!info[1].IsString()) ThrowType("expected a backend name (string) for backend");
    return WrapGroup(info.Env(), dist::init(strict, info[1].As<Napi::String>().Utf8Value()));
  });
  MLXT_EXPORT(exports, "distributedGroupRank", { return Napi::Number::New(info.Env(), UnwrapGroup(info[0]).rank()); });
  MLXT_EXPORT(exports, "distributedGroupSize", { return Napi::Number::New(info.Env(), UnwrapGroup(info[0]).size()); });
  MLXT_EXPORT(exports, "distributedGroupSplit", {
    auto& g = UnwrapGroup(info[0]);
    return WrapGroup(info.Env(), g.split(ToInt(info[1], "color"), ToInt(info[2], "key")));
  });

  // Collectives: (x, group?, stream?) → lazy array. The communication happens when it is evaluated.
  MLXT_EXPORT(exports, "distributedAllSum", {
    return Wrap(info.Env(), dist::all_sum(Unwrap(info[0], "x"), ToGroup(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "distributedAllGather", {
    return Wrap(info.Env(), dist::all_gather(Unwrap(info[0], "x"), ToGroup(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "distributedAllMax", {
    return Wrap(info.Env(), dist::all_max(Unwrap(info[0], "x"), ToGroup(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "distributedAllMin", {
    return Wrap(info.Env(), dist::all_min(Unwrap(info[0], "x"), ToGroup(info[1]), ToStream(info[2])));
  });
  MLXT_EXPORT(exports, "distributedSumScatter", {
    return Wrap(info.Env(), dist::sum_scatter(Unwrap(info[0], "x"), ToGroup(info[1]), ToStream(info[2])));
  });
  // (x, dst, group?, stream?)
  MLXT_EXPORT(exports, "distributedSend", {
    return Wrap(info.Env(), dist::send(Unwrap(info[0], "x"), ToInt(info[1], "dst"), ToGroup(info[2]), ToStream(info[3])));
  });
  // (shape, dtype, src, group?, stream?)
  MLXT_EXPORT(exports, "distributedRecv", {
    return Wrap(info.Env(), dist::recv(ToShape(info[0]), ToDtype(info[1]), ToInt(info[2], "src"), ToGroup(info[3]),
                                       ToStream(info[4])));
  });
  // (like, src, group?, stream?)
  MLXT_EXPORT(exports, "distributedRecvLike", {
    return Wrap(info.Env(), dist::recv_like(Unwrap(info[0], "like"), ToInt(info[1], "src"), ToGroup(info[2]), ToStream(info[3])));
  });

  // (timeoutMs, label): arms the watchdog for the blocking call about to be made (timeoutMs > 0), or
  // disarms it (timeoutMs <= 0). The TS side brackets init and evaluations of collectives with it.
  MLXT_EXPORT(exports, "distributedWatchdog", {
    double timeoutMs = ToDouble(info[0], "timeoutMs");
    if (timeoutMs > 0) {
      if (!info[1].IsString()) ThrowType("expected a string for label");
      Watchdog::Get().Arm(timeoutMs, info[1].As<Napi::String>().Utf8Value());
    } else {
      Watchdog::Get().Disarm();
    }
    return info.Env().Undefined();
  });
}

}  // namespace mlxt
