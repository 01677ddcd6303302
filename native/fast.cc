// mx.fast: layerNorm, rmsNorm, rope, scaledDotProductAttention.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitFast(Napi::Object exports) {}

}  // namespace mlxt
