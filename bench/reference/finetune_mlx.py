"""A hand-written Python MLX fine-tuning loop (stock mlx.nn, mlx.optimizers, mx.compile): the BERT checkpoint
loaded from its safetensors, mean pooling and a linear head as our config, our dropout (the config's, or with
null the checkpoint's hidden_dropout_prob / attention_probs_dropout_prob) where our BERT drops (embeddings, the
attention probabilities, each sublayer's output before its residual add, the pooled vector before the head;
mx.fast's attention has no dropout, so a training step with it spells the attention out), AdamW with our weight
decay, a linear warmup then linear (or constant/cosine) decay as an mlx.optimizers schedule, global-norm
clipping, and our exact epoch-0 batches (bench/cases/finetune-data.ts). `--mode lora` freezes the base and
trains rank-r adapters on our target modules plus the head. Prints one JSON line."""
import math

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from finetune_common import StepClock, accuracy, load_data, parse_args

args = parse_args()
data = load_data(args.data)
t = data["training"]
with open(f"{args.model}/config.json") as f:
    cfg = __import__("json").load(f)
H, HEADS, EPS = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
P = data["model"]["dropout"] if data["model"]["dropout"] is not None else cfg["hidden_dropout_prob"]
P_ATTN = data["model"]["dropout"] if data["model"]["dropout"] is not None else cfg.get("attention_probs_dropout_prob", P)


class LoRALinear(nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        out_dims, in_dims = base.weight.shape
        self.lora_a = mx.random.uniform(-1 / math.sqrt(in_dims), 1 / math.sqrt(in_dims), (in_dims, rank))
        self.lora_b = mx.zeros((rank, out_dims))
        self.scale = alpha / rank

    def __call__(self, x):
        return self.base(x) + self.scale * ((x @ self.lora_a) @ self.lora_b)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value, self.attn_out = (nn.Linear(H, H) for _ in range(4))
        self.attn_norm = nn.LayerNorm(H, eps=EPS)
        self.ffn_in = nn.Linear(H, cfg["intermediate_size"])
        self.ffn_out = nn.Linear(cfg["intermediate_size"], H)
        self.ffn_norm = nn.LayerNorm(H, eps=EPS)
        self.drop = nn.Dropout(P)
        self.attn_drop = nn.Dropout(P_ATTN)

    def __call__(self, x, mask):
        b, s, _ = x.shape
        heads = lambda y: y.reshape(b, s, HEADS, -1).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scale = 1 / math.sqrt(H // HEADS)
        if self.training and P_ATTN > 0:
            scores = (q * scale) @ k.transpose(0, 1, 3, 2) + mask
            a = self.attn_drop(mx.softmax(scores, axis=-1, precise=True)) @ v
        else:
            a = mx.fast.scaled_dot_product_attention(q, k, v, scale=scale, mask=mask)
        x = self.attn_norm(x + self.drop(self.attn_out(a.transpose(0, 2, 1, 3).reshape(b, s, H))))
        return self.ffn_norm(x + self.drop(self.ffn_out(nn.gelu(self.ffn_in(x)))))


class Classifier(nn.Module):
    def __init__(self, num_labels):
        super().__init__()
        self.word = nn.Embedding(cfg["vocab_size"], H)
        self.position = nn.Embedding(cfg["max_position_embeddings"], H)
        self.token_type = nn.Embedding(cfg["type_vocab_size"], H)
        self.embed_norm = nn.LayerNorm(H, eps=EPS)
        self.layers = [Layer() for _ in range(cfg["num_hidden_layers"])]
        self.head = nn.Linear(H, num_labels)
        self.drop = nn.Dropout(P)

    def __call__(self, ids, types, mask):
        x = self.drop(self.embed_norm(self.word(ids) + self.position(mx.arange(ids.shape[1])) + self.token_type(types)))
        additive = ((1.0 - mask.astype(mx.float32)) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, additive)
        m = mask.astype(x.dtype)[..., None]
        return self.head(self.drop((x * m).sum(axis=1) / m.sum(axis=1)))


RENAME = [("embeddings.word_embeddings", "word"), ("embeddings.position_embeddings", "position"),
          ("embeddings.token_type_embeddings", "token_type"), ("embeddings.LayerNorm", "embed_norm"),
          ("encoder.layer.", "layers."), ("attention.self.", ""), ("attention.output.dense", "attn_out"),
          ("attention.output.LayerNorm", "attn_norm"), ("intermediate.dense", "ffn_in"),
          ("output.dense", "ffn_out"), ("output.LayerNorm", "ffn_norm"), (".gamma", ".weight"), (".beta", ".bias")]


def our_name(name):
    for a, b in RENAME:
        name = name.replace(a, b)
    return name


mx.random.seed(t["seed"])
model = Classifier(data["numClasses"])
weights = [(our_name(k), v) for k, v in mx.load(f"{args.model}/model.safetensors").items()
           if not k.startswith("pooler") and not k.endswith("position_ids")]
model.load_weights(weights, strict=False)
if args.mode == "lora":
    lora = t["lora"]
    model.freeze()
    for layer in model.layers:
        for name in lora["targetModules"]:
            setattr(layer, name, LoRALinear(getattr(layer, name), lora["rank"], lora["alpha"]))
    model.head.unfreeze()
mx.eval(model.parameters())

steps = len(data["batches"]) * t["epochs"]
warm = max(1, int(t["warmupRatio"] * steps))
decay = {"linear": optim.linear_schedule(t["learningRate"], 0.0, steps - warm),
         "cosine": optim.cosine_decay(t["learningRate"], steps - warm),
         "constant": lambda _: t["learningRate"]}[t["schedule"]]
rate = optim.join_schedules([optim.linear_schedule(0.0, t["learningRate"], warm), decay], [warm])
opt = optim.AdamW(learning_rate=rate, weight_decay=t["weightDecay"])
opt.init(model.trainable_parameters())


def loss_fn(ids, types, mask, labels):
    return nn.losses.cross_entropy(model(ids, types, mask), labels, reduction="mean")


value_and_grad = nn.value_and_grad(model, loss_fn)
state = [model.state, opt.state, mx.random.state]


@mx.compile
def step_fn(ids, types, mask, labels):
    loss, grads = value_and_grad(ids, types, mask, labels)
    if t["maxGradNorm"]:
        grads, _ = optim.clip_grad_norm(grads, t["maxGradNorm"])
    opt.update(model, grads)
    return loss


step_fn = mx.compile(step_fn, inputs=state, outputs=state)


def batch(part, rows):
    longest = -(-max(len(part["ids"][r]) for r in rows) // 8) * 8  # padded to a multiple of 8, as ours
    ids = np.full((len(rows), longest), data["padId"], np.int32)
    types = np.zeros((len(rows), longest), np.int32)
    mask = np.zeros((len(rows), longest), np.int32)
    for i, r in enumerate(rows):
        n = len(part["ids"][r])
        ids[i, :n], types[i, :n], mask[i, :n] = part["ids"][r], part["typeIds"][r], 1
    return mx.array(ids), mx.array(types), mx.array(mask), mx.array(np.array([part["labels"][r] for r in rows], np.int32))


clock = StepClock()
model.train()
for epoch in range(t["epochs"]):
    for rows in data["batches"]:  # our epoch-0 plan every epoch: the timing, not the shuffle, is compared
        loss = step_fn(*batch(data["train"], rows))
        mx.eval(loss, state)
        clock.mark(len(rows), sum(len(data["train"]["ids"][r]) for r in rows))

model.eval()
val = data["validation"]
predicted = []
for start in range(0, len(val["ids"]), 64):
    ids, types, mask, _ = batch(val, range(start, min(start + 64, len(val["ids"]))))
    predicted += model(ids, types, mask).argmax(-1).tolist()
trainable = sum(v.size for _, v in __import__("mlx.utils", fromlist=["tree_flatten"]).tree_flatten(model.trainable_parameters()))
print(__import__("json").dumps({**clock.summary(), "valAccuracy": accuracy(predicted, val["labels"]), "trainable": trainable}))
