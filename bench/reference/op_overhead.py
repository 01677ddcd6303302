"""Reference for bench/op-overhead.ts: the same op chains with Python MLX. Prints one JSON line (ns per op,
process CPU time as on the Node side)."""
import json
import sys
import time

import mlx.core as mx

ops = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
x = mx.array([1, 2, 3, 4], dtype=mx.float32)
mx.eval(x)


def chain(step):
    build_best = total_best = float("inf")
    for r in range(reps + 3):
        t0 = time.process_time_ns()
        y = x
        for _ in range(ops):
            y = step(y)
        t1 = time.process_time_ns()
        mx.eval(y)
        t2 = time.process_time_ns()
        if r >= 3:
            build_best = min(build_best, t1 - t0)
            total_best = min(total_best, t2 - t0)
    return build_best / ops, total_best / ops


array_op, array_chain = chain(lambda y: mx.add(y, x))
scalar_op, scalar_chain = chain(lambda y: mx.multiply(y, 0.999))
print(json.dumps({"arrayOpNs": array_op, "arrayChainNs": array_chain, "scalarOpNs": scalar_op, "scalarChainNs": scalar_chain}))
