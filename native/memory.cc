// Memory statistics and limits.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitMemory(Napi::Object exports) {}

}  // namespace mlxt
