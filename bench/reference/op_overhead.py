"""Reference for bench/op-overhead.ts: the same op chains with Python MLX, timed the same way (see
bench/cases/op-overhead.ts). Arrays are freed by reference count as the chain is dropped; the window
ends with gc.collect() (less a bare one) as the Node side ends with a full GC (less a bare one). Prints one JSON line (CPU ns per op)."""
import gc
import json
import sys
import time

import mlx.core as mx

ops = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
build_reps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
eval_reps = int(sys.argv[3]) if len(sys.argv) > 3 else 50

x = mx.array([1, 2, 3, 4], dtype=mx.float32)
m = mx.array([[0.5, 0.25], [-0.25, 0.5]], dtype=mx.float32)
mx.eval(x, m)

cases = [
    ("add(y, x)", x, lambda y, i: mx.add(y, x)),
    ("multiply(y, 0.999)", x, lambda y, i: mx.multiply(y, 0.999)),
    ("abs(y)", x, lambda y, i: mx.abs(y)),
    ("sum(y, -1, keepdims)", x, lambda y, i: mx.sum(y, -1, keepdims=True)),
    ("reshape(y, [2,2] | [4])", x, lambda y, i: mx.reshape(y, [4] if i & 1 else [2, 2])),
    ("matmul(y, m) 2×2", m, lambda y, i: mx.matmul(y, m)),
]


def chain(base, step, evaluate):
    y = base
    for i in range(ops):
        y = step(y, i)
    if evaluate:
        mx.eval(y)
    # y is dropped on return: its graph is freed here, inside the window


def measure(base, step, evaluate, reps):
    for _ in range(5):
        chain(base, step, evaluate)
    gc.collect()
    t0 = time.process_time_ns()
    for _ in range(reps):
        chain(base, step, evaluate)
    gc.collect()
    t1 = time.process_time_ns()
    gc.collect()  # a bare one, taken off as on the Node side
    return (t1 - t0 - (time.process_time_ns() - t1)) / (reps * ops)


results = {
    name: {"build": measure(base, step, False, build_reps), "eval": measure(base, step, True, eval_reps)}
    for name, base, step in cases
}
print(json.dumps({"results": results}, ensure_ascii=False))
