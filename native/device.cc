// Default device and streams.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitDevice(Napi::Object exports) {}

}  // namespace mlxt
