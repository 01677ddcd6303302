"""Reference for bench/optimizer-update.ts: torch.optim.AdamW (foreach or fused, argv[2]) over the
MiniLM-shaped tree on 2 threads, alone and after clip_grad_norm_. One JSON line, as optimizer_update.py."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch

from optimizer_update_common import minilm_shapes, time_updates

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
mode = sys.argv[2] if len(sys.argv) > 2 else "fused"
torch.set_num_threads(2)
torch.manual_seed(0)
params = [torch.nn.Parameter(torch.randn(shape) * 0.02) for _, shape in minilm_shapes()]
for p in params:
    p.grad = torch.randn(p.shape) * 1e-3


def measure(clip):
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01, **({"fused": True} if mode == "fused" else {"foreach": True}))

    def update():
        if clip:
            torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)
        opt.step()

    return time_updates(update, steps)


update_ms, update_cpu_ms = measure(False)
clip_ms, clip_cpu_ms = measure(True)
print(json.dumps({"updateMs": update_ms, "updateCpuMs": update_cpu_ms, "clipUpdateMs": clip_ms, "clipUpdateCpuMs": clip_cpu_ms}))
