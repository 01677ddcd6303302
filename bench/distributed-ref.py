"""Reference for bench/distributed.ts: the same all-sum timings with Python MLX's own binding, started as
ranks by the same launcher (so only the binding differs). Rank 0 prints one JSON line."""
import json
import time

import mlx.core as mx

group = mx.distributed.init(strict=True, backend="ring")
rows = []
for nbytes in [4 << 10, 256 << 10, 4 << 20, 32 << 20]:
    x = mx.ones((nbytes // 4,), dtype=mx.float32)
    mx.eval(x)
    reps = 5 if nbytes >= 4 << 20 else 30
    times = []
    for i in range(reps + 2):
        t0 = time.perf_counter()
        s = mx.distributed.all_sum(x, group=group)
        mx.eval(s)
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    ms = sorted(times)[len(times) // 2]
    rows.append({"bytes": nbytes, "ms": ms, "mbPerS": nbytes / 1e6 / (ms / 1000)})
if group.rank() == 0:
    print(json.dumps({"mode": "allreduce", "size": group.size(), "rows": rows}))
