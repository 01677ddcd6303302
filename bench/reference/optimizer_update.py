"""Reference for bench/optimizer-update.ts: mlx.optimizers.AdamW over the MiniLM-shaped tree, alone and after
clip_grad_norm. Prints one JSON line: median wall and process CPU ms per update (eval included)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlx.core as mx
import mlx.optimizers as optim

from optimizer_update_common import minilm_shapes, time_updates

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
mx.random.seed(0)
params = {name: mx.random.normal(shape) * 0.02 for name, shape in minilm_shapes()}
grads = {name: mx.random.normal(shape) * 1e-3 for name, shape in minilm_shapes()}
mx.eval(params, grads)


def measure(clip):
    opt = optim.AdamW(learning_rate=1e-4, weight_decay=0.01)
    opt.init(params)
    mx.eval(opt.state)

    def update():
        global params
        g = optim.clip_grad_norm(grads, 1.0)[0] if clip else grads
        params = opt.apply_gradients(g, params)
        mx.eval(params, opt.state)

    return time_updates(update, steps)


update_ms, update_cpu_ms = measure(False)
clip_ms, clip_cpu_ms = measure(True)
print(json.dumps({"updateMs": update_ms, "updateCpuMs": update_cpu_ms, "clipUpdateMs": clip_ms, "clipUpdateCpuMs": clip_cpu_ms}))
