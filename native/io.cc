// safetensors load/save through MLX's own I/O.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitIo(Napi::Object exports) {}

}  // namespace mlxt
