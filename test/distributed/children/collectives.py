"""A Python MLX rank for the mixed ring test: the same ops on the same rank-dependent inputs as
collectives.ts, so a Node rank and a Python rank check each other's results (Python MLX is the reference)."""
import json
import os

import mlx.core as mx

group = mx.distributed.init(strict=True, backend="ring")
r, n = group.rank(), group.size()
x = mx.array([[r + 1, 2 * r], [10 - r, r * r]], dtype=mx.float32)
out = {
    "rank": r,
    "size": n,
    "sum": mx.distributed.all_sum(x, group=group),
    "gathered": mx.distributed.all_gather(mx.array([r, r + 0.5], dtype=mx.float32), group=group),
    "max": mx.distributed.all_max(x, group=group),
    "min": mx.distributed.all_min(x, group=group),
    "ints": mx.distributed.all_sum(mx.array([r, 1], dtype=mx.int32), group=group),
}
mx.eval([v for v in out.values() if isinstance(v, mx.array)])
right, left = (r + 1) % n, (r + n - 1) % n
payload = mx.array([100 * r, 100 * r + 1, 100 * r + 2], dtype=mx.float32)
if r % 2 == 0:
    mx.eval(mx.distributed.send(payload, right, group=group))
    got = mx.distributed.recv([3], mx.float32, left, group=group)
else:
    got = mx.distributed.recv_like(payload, left, group=group)
    mx.eval(got)
    mx.eval(mx.distributed.send(payload, right, group=group))
mx.eval(got)
out["received"] = got
out = {k: (v.tolist() if isinstance(v, mx.array) else v) for k, v in out.items()}
with open(os.path.join(os.environ["OUT_DIR"], f"py-rank-{r}.json"), "w") as f:
    json.dump(out, f)
