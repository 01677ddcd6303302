// quantize, dequantize, quantizedMatmul.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitQuantize(Napi::Object exports) {}

}  // namespace mlxt
