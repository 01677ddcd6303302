// One Init function per MLX area; addon.cc calls them all.
#pragma once

#include <napi.h>

namespace mlxt {

void InitArray(Napi::Object exports);
void InitOps(Napi::Object exports);
void InitShape(Napi::Object exports);
void InitIndexing(Napi::Object exports);
void InitRandom(Napi::Object exports);
void InitFast(Napi::Object exports);
void InitQuantize(Napi::Object exports);
void InitIo(Napi::Object exports);
void InitMemory(Napi::Object exports);
void InitDevice(Napi::Object exports);
void InitTransforms(Napi::Object exports);
void InitSystem(Napi::Object exports);
void InitDistributed(Napi::Object exports);
void InitFused(Napi::Object exports);
void InitLinalg(Napi::Object exports);
void InitOptim(Napi::Object exports);

}  // namespace mlxt
