// Slicing and indexing: take, takeAlongAxis, slice, sliceUpdate, putAlongAxis, gather by index arrays.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitIndexing(Napi::Object exports) {}

}  // namespace mlxt
