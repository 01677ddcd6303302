"""The BERT-mini-shaped classifier the Python MLX references time (stock mlx.nn): token + position
embeddings over a 30,522 vocabulary, 4 post-norm encoder layers (hidden 256, 4 heads, FFN 1024, exact
GELU, BERT's LayerNorm epsilon), a [CLS] head — the shape our nn builds on the Node side."""
import mlx.core as mx
import mlx.nn as nn

VOCAB, DIMS = 30522, 256


class BertMini(nn.Module):
    def __init__(self, dropout=0.0):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, DIMS)
        self.positions = nn.Embedding(512, DIMS)
        self.norm = nn.LayerNorm(DIMS, eps=1e-12)
        self.dropout = nn.Dropout(dropout)  # p=0 returns its input untouched
        self.encoder = nn.TransformerEncoder(4, DIMS, 4, mlp_dims=1024, dropout=dropout, activation=nn.gelu, norm_first=False)
        for layer in self.encoder.layers:  # BERT's epsilon, as on the Node side
            layer.ln1.eps = layer.ln2.eps = 1e-12
        self.encoder.ln.eps = 1e-12
        self.classifier = nn.Linear(DIMS, 2)

    def __call__(self, ids, attention_mask):
        pos = mx.arange(ids.shape[1])
        h = self.dropout(self.norm(self.tokens(ids) + self.positions(pos)))
        mask = (attention_mask != 0).reshape(ids.shape[0], 1, 1, ids.shape[1])
        out = self.encoder(h, mask)
        return self.classifier(out[:, 0, :])


def cross_entropy_loss(model):
    """The mean cross-entropy of `model` on (ids, mask, labels), as both Node contenders compute it."""
    return lambda x, m, y: nn.losses.cross_entropy(model(x, m), y, reduction="mean")
