// Function transforms: grad, valueAndGrad, vjp, jvp, compile, checkpoint; JS callbacks traced by MLX.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitTransforms(Napi::Object exports) {}

}  // namespace mlxt
