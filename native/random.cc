// mx.random: seed, key, split, uniform, normal, truncatedNormal, bernoulli, randint, categorical.
#include <napi.h>

#include "exports.h"
#include "wrap.h"

namespace mlxt {

void InitRandom(Napi::Object exports) {}

}  // namespace mlxt
