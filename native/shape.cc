// Shape ops: reshape/transpose/swapaxes/expandDims/squeeze/flatten, concatenate/stack/split, pad/tile/repeat/broadcastTo, tril/triu.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitShape(Napi::Object exports) {}

}  // namespace mlxt
