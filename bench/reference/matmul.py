"""Reference for bench/matmul.ts: fp32 matmul GFLOP/s with NumPy or Python MLX, same shapes and timing.

Usage: matmul.py numpy|mlx SHAPE... where SHAPE is BxMxKxN (B = 1 for a plain matmul). Prints one JSON
line {shape: gflops, "cpu:"+shape: gflops per CPU-second}, the best of the repetitions that fit a time
budget per shape.
"""
import json
import sys
import time

backend, shapes = sys.argv[1], sys.argv[2:]
if backend == "numpy":
    import numpy as np

    def make(shape):
        return np.random.default_rng(0).standard_normal(shape, dtype=np.float32)

    def run(a, b):
        return a @ b
else:
    import mlx.core as mx

    mx.set_default_device(mx.cpu)

    def make(shape):
        x = mx.random.normal(shape, dtype=mx.float32)
        mx.eval(x)
        return x

    def run(a, b):
        c = a @ b
        mx.eval(c)
        return c

out = {}
for spec in shapes:
    bsz, m, k, n = (int(v) for v in spec.split("x"))
    a = make((bsz, m, k) if bsz > 1 else (m, k))
    b = make((bsz, k, n) if bsz > 1 else (k, n))
    run(a, b)  # warm-up: thread pool, page faults
    best, best_cpu, spent, reps = float("inf"), float("inf"), 0.0, 0
    while reps < 3 or (spent < 1.5 and reps < 50):
        c0 = time.process_time()
        t0 = time.perf_counter()
        run(a, b)
        t = time.perf_counter() - t0
        best_cpu = min(best_cpu, time.process_time() - c0)
        best, spent, reps = min(best, t), spent + t, reps + 1
    out[spec] = 2 * bsz * m * k * n / best / 1e9
    out["cpu:" + spec] = 2 * bsz * m * k * n / max(best_cpu, 1e-9) / 1e9


def openblas_in_use():
    """The OpenBLAS this process mapped and its kernel, or the BLAS file name (e.g. the bundled reference)."""
    import ctypes
    import os
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            name = os.path.basename(path)
            if "/" in path and ("blas" in name) and path not in paths:
                paths.append(path)
    for path in paths:
        lib = ctypes.CDLL(path)
        # NumPy's wheel carries scipy-openblas, whose symbols are renamed scipy_openblas_*64_; the
        # scipy-openblas32 build mlx-train installs has scipy_openblas_* without the suffix.
        for corename, threads in (("openblas_get_corename", "openblas_get_num_threads"),
                                  ("scipy_openblas_get_corename64_", "scipy_openblas_get_num_threads64_"),
                                  ("scipy_openblas_get_corename", "scipy_openblas_get_num_threads")):
            if hasattr(lib, corename):
                getattr(lib, corename).restype = ctypes.c_char_p
                return f"{os.path.basename(path)} ({getattr(lib, corename)().decode()}, {getattr(lib, threads)()} threads)"
    return ", ".join(os.path.basename(p) for p in paths) or "unknown"


out["blas"] = openblas_in_use()
print(json.dumps(out))
