"""Third contender for bench/train-step.ts: the same BERT-mini-shaped classifier step in PyTorch on the CPU
(2 intra-op threads, 1 inter-op thread, as MLX gets 2 OpenBLAS threads plus its one stream thread).
The encoder is written out rather than taken from torch.nn.TransformerEncoderLayer so that it matches
mlx.nn's layer exactly: bias-free q/k/v/out projections, no dropout on the attention weights, post-norm,
exact GELU, a final LayerNorm. Prints one JSON line of wall-clock medians (ms); compiled figures are
null (torch.compile would spend minutes in Inductor on a 2-core machine). Args: batch seq steps."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_num_interop_threads(1)

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
seq = int(sys.argv[2]) if len(sys.argv) > 2 else 128
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
VOCAB, DIMS, HEADS, MLP, LAYERS, P = 30522, 256, 4, 1024, 4, 0.1


class EncoderLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(DIMS, DIMS, bias=False) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(DIMS, eps=1e-12), nn.LayerNorm(DIMS, eps=1e-12)
        self.linear1, self.linear2 = nn.Linear(DIMS, MLP), nn.Linear(MLP, DIMS)
        self.drop = nn.Dropout(P)

    def forward(self, x, mask):
        b, s, _ = x.shape
        heads = lambda t: t.view(b, s, HEADS, DIMS // HEADS).transpose(1, 2)
        a = F.scaled_dot_product_attention(heads(self.q(x)), heads(self.k(x)), heads(self.v(x)), attn_mask=mask)
        x = self.ln1(x + self.drop(self.o(a.transpose(1, 2).reshape(b, s, DIMS))))
        y = self.drop(self.linear2(self.drop(F.gelu(self.linear1(x)))))
        return self.ln2(x + y)


class BertMini(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, DIMS)
        self.positions = nn.Embedding(512, DIMS)
        self.norm = nn.LayerNorm(DIMS, eps=1e-12)
        self.drop = nn.Dropout(P)
        self.layers = nn.ModuleList(EncoderLayer() for _ in range(LAYERS))
        self.ln = nn.LayerNorm(DIMS, eps=1e-12)
        self.classifier = nn.Linear(DIMS, 2)

    def forward(self, ids, attention_mask):
        h = self.drop(self.norm(self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))))
        mask = (attention_mask != 0).view(ids.shape[0], 1, 1, ids.shape[1])
        for layer in self.layers:
            h = layer(h, mask)
        return self.classifier(self.ln(h)[:, 0, :])


torch.manual_seed(0)
model = BertMini().train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
ids = torch.randint(0, VOCAB, (batch, seq))
attention_mask = torch.ones(batch, seq, dtype=torch.int32)
labels = torch.randint(0, 2, (batch,))

ms = lambda t0: (time.perf_counter() - t0) * 1000
cpu_ms = lambda c0: (time.process_time() - c0) * 1000  # all threads of the process, as the MLX contenders
median = lambda xs: sorted(xs)[len(xs) // 2]

# Eager PyTorch runs each op when called, so the three phases are timed inside one step.
fwd, bwd, upd, step_cpu = [], [], [], []
for s in range(steps + 1):
    c0 = time.process_time()
    t0 = time.perf_counter()
    loss = F.cross_entropy(model(ids, attention_mask), labels)
    f = ms(t0)
    t0 = time.perf_counter()
    loss.backward()
    b = ms(t0)
    t0 = time.perf_counter()
    opt.step()
    opt.zero_grad(set_to_none=True)
    u = ms(t0)
    c = cpu_ms(c0)
    if s > 0:  # step 0 allocates the AdamW state
        fwd.append(f)
        bwd.append(b)
        upd.append(u)
        step_cpu.append(c)

step_ms = median(fwd) + median(bwd) + median(upd)
print(json.dumps({
    "forwardMs": median(fwd), "backwardMs": median(bwd), "optimizerMs": median(upd), "stepMs": step_ms,
    "compiledStepMs": None, "samplesPerSec": batch * 1000 / step_ms, "compiledSamplesPerSec": None,
    "stepCpuMs": median(step_cpu), "compiledStepCpuMs": None,
}))
