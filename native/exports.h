// One Init function per MLX area; addon.cc calls them all.
#pragma once

#include <napi.h>

namespace mlxt {

void InitArray(Napi::Object exports);
void InitOps(Napi::Object exports);

}  // namespace mlxt
