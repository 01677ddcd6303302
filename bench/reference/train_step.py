"""Reference for bench/train-step.ts: the same BERT-mini-shaped classifier step with Python mlx.nn and
mlx.optimizers.AdamW. Prints one JSON line of wall-clock medians (ms). Args: batch seq steps."""
import json
import sys
import time

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
from bert_mini import BertMini, VOCAB, cross_entropy_loss

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
seq = int(sys.argv[2]) if len(sys.argv) > 2 else 128
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3


mx.random.seed(0)
model = BertMini(0.1)
opt = optim.AdamW(learning_rate=1e-4, weight_decay=0.01)
opt.init(model.trainable_parameters())
ids = mx.random.randint(0, VOCAB, (batch, seq), key=mx.random.key(1))
attention_mask = mx.ones((batch, seq), dtype=mx.int32)
labels = mx.random.randint(0, 2, (batch,), key=mx.random.key(2))
mx.eval(model.parameters(), opt.state, ids, attention_mask, labels)


loss_fn = cross_entropy_loss(model)


value_and_grad = nn.value_and_grad(model, loss_fn)
ms = lambda t0: (time.perf_counter() - t0) * 1000
median = lambda xs: sorted(xs)[len(xs) // 2]

cpu_ms = lambda c0: (time.process_time() - c0) * 1000  # all threads of the process, as on the Node side
fwd, fwd_bwd, upd, step_cpu = [], [], [], []
for s in range(steps + 1):
    t0 = time.perf_counter()
    mx.eval(loss_fn(ids, attention_mask, labels))
    f = ms(t0)
    c0 = time.process_time()
    t0 = time.perf_counter()
    loss, grads = value_and_grad(ids, attention_mask, labels)
    mx.eval(loss, grads)
    fb = ms(t0)
    t0 = time.perf_counter()
    opt.update(model, grads)
    mx.eval(model.parameters(), opt.state)
    u = ms(t0)
    c = cpu_ms(c0)
    if s > 0:
        step_cpu.append(c)
        fwd.append(f)
        fwd_bwd.append(fb)
        upd.append(u)

# Like the Node side, the random key is not compiled state (dropout reuses one mask per graph).
state = [model.state, opt.state]


def step_fn(x, m, y):
    loss, g = value_and_grad(x, m, y)
    opt.update(model, g)
    return loss


step = mx.compile(step_fn, inputs=state, outputs=state)
compiled, compiled_cpu = [], []
for s in range(steps + 2):
    c0 = time.process_time()
    t0 = time.perf_counter()
    loss = step(ids, attention_mask, labels)
    mx.eval(loss, state)
    if s > 1:
        compiled.append(ms(t0))
        compiled_cpu.append(cpu_ms(c0))

forward_ms = median(fwd)
step_ms = median(fwd_bwd) + median(upd)
print(json.dumps({
    "forwardMs": forward_ms, "backwardMs": median(fwd_bwd) - forward_ms, "optimizerMs": median(upd), "stepMs": step_ms,
    "compiledStepMs": median(compiled), "samplesPerSec": batch * 1000 / step_ms, "compiledSamplesPerSec": batch * 1000 / median(compiled),
    "stepCpuMs": median(step_cpu), "compiledStepCpuMs": median(compiled_cpu),
}))
