// MultiHeadAttention, TransformerEncoderLayer and TransformerEncoder against Python mlx.nn (forward and
// gradients). Tolerance 1e-5 like the other layers: both sides run the same MLX CPU kernels in the same
// order, so results agree far below the 1e-4 the brief allows for attention.
import { describe, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { fromFixture, loadFixture } from '../helpers/fixtures.js';
import { checkLayer, type LayerCase } from './parity-helpers.js';

const { cases } = loadFixture<LayerCase>('nn-attention');
const byPrefix = (p: string) => {
  const found = cases.filter((c) => c.name.startsWith(p));
  if (found.length === 0) throw new Error(`nn-attention fixture has no '${p}' cases`);
  return found;
};

describe('attention and transformer layers match mlx.nn', () => {
  it.each(byPrefix('mha'))('$name', (c) => {
    const m = new nn.MultiHeadAttention(c.config.dims, c.config.heads, { bias: c.config.bias });
    const mask = c.mask;
    if (mask === null) return checkLayer(c, m, (q, k, v) => m.forward(q, k, v));
    if (mask.kind === 'additiveCausal') {
      const additive = nn.MultiHeadAttention.createAdditiveCausalMask(mask.n);
      return checkLayer(c, m, (x) => m.forward(x, x, x, additive));
    }
    const attentionMask = fromFixture(mask.attentionMask);
    if (mask.kind === 'padding') return checkLayer(c, m, (q, k, v) => m.forward(q, k, v, { attentionMask }));
    return checkLayer(c, m, (x) => m.forward(x, x, x, { attentionMask, causal: true }));
  });

  it.each(byPrefix('rope'))('$name', (c) => {
    const m = new nn.RoPE(c.config.dims, { traditional: c.config.traditional });
    checkLayer(c, m, (x) => m.forward(x, c.config.offset));
  });

  it.each(byPrefix('encoder layer'))('$name', (c) => {
    const m = new nn.TransformerEncoderLayer(c.config.dims, c.config.heads, {
      mlpDims: c.config.mlpDims, activation: c.config.activation, normFirst: c.config.normFirst,
    });
    const mask = nn.MultiHeadAttention.createAdditiveCausalMask(4);
    checkLayer(c, m, (x) => m.forward(x, mask));
  });

  it.each(byPrefix('encoder normFirst'))('$name', (c) => {
    const m = new nn.TransformerEncoder(c.config.layers, c.config.dims, c.config.heads, { mlpDims: c.config.mlpDims, normFirst: c.config.normFirst });
    const mask = nn.MultiHeadAttention.createAdditiveCausalMask(4);
    checkLayer(c, m, (x) => m.forward(x, mask));
  });

  it('the causal mask builders agree with each other and with the string form', () => {
    const x = mx.random.normal([2, 4, 8], { key: mx.random.key(5) });
    const m = new nn.MultiHeadAttention(8, 2);
    const a = m.forward(x, x, x, 'causal');
    const b = m.forward(x, x, x, nn.MultiHeadAttention.createAdditiveCausalMask(4));
    const c = m.forward(x, x, x, { causal: true });
    for (const y of [b, c]) if (!mx.allclose(a, y, 1e-5, 1e-6).item()) throw new Error('causal masks disagree');
  });
});
