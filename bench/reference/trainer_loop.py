"""Reference for bench/trainer-fit.ts: a plain hand-written training loop in Python MLX (stock mlx.nn and
mlx.optimizers) of the same BERT-mini-shaped classifier (4 post-norm layers, hidden 256, 4 heads, FFN
1024, GELU, no dropout, [CLS] head), AdamW with weight decay 0.01, global-norm clipping at 1.0, a linear
schedule with 10% warmup set from the host, a compiled step, and the loss and gradient norm read every
step. Each step makes its batch from host (NumPy) token ids, as a data pipeline would. Times the steps
after the warm-up ones, end of step to end of step, by wall clock and process CPU; prints one JSON line.
Args: batch seq warm_steps timed_steps."""
import json
import sys
import time

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from bert_mini import BertMini, VOCAB, cross_entropy_loss

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
seq = int(sys.argv[2]) if len(sys.argv) > 2 else 128
warm = int(sys.argv[3]) if len(sys.argv) > 3 else 2
timed = int(sys.argv[4]) if len(sys.argv) > 4 else 6
steps = warm + timed
LR = 1e-4


started = time.perf_counter()
mx.random.seed(42)
model = BertMini()
mx.eval(model.parameters())
opt = optim.AdamW(learning_rate=LR, weight_decay=0.01)
opt.init(model.trainable_parameters())
gen = np.random.default_rng(7)
ids = gen.integers(1, 8000, size=(steps * batch, seq), dtype=np.int32)
labels = (np.arange(steps * batch) % 2).astype(np.int32)


loss_fn = cross_entropy_loss(model)


value_and_grad = nn.value_and_grad(model, loss_fn)
state = [model.state, opt.state]


def step_fn(x, m, y):
    loss, grads = value_and_grad(x, m, y)
    grads, norm = optim.clip_grad_norm(grads, 1.0)
    opt.update(model, grads)
    return loss, norm


step = mx.compile(step_fn, inputs=state, outputs=state)
warmup_steps = round(0.1 * steps)
marks = []
for s in range(steps):
    opt.learning_rate = LR * (s + 1) / warmup_steps if s < warmup_steps else LR * (1 - (s - warmup_steps) / max(1, steps - warmup_steps))
    x = mx.array(ids[s * batch:(s + 1) * batch])
    m = mx.ones((batch, seq), dtype=mx.int32)
    y = mx.array(labels[s * batch:(s + 1) * batch])
    loss, norm = step(x, m, y)
    mx.eval(loss, norm, state)
    last_loss, _ = loss.item(), norm.item()
    marks.append((time.perf_counter(), time.process_time()))

first, last = marks[warm - 1], marks[steps - 1]
step_ms = (last[0] - first[0]) * 1000 / timed
print(json.dumps({
    "stepMs": step_ms, "stepCpuMs": (last[1] - first[1]) * 1000 / timed, "samplesPerSec": batch * 1000 / step_ms,
    "fitSeconds": time.perf_counter() - started, "lastLoss": last_loss,
}))
