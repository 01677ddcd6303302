// Child of bench/optimizer-update.ts: optim.AdamW over the MiniLM-shaped tree (bench/reference/optimizer_update_common.py),
// alone and with the global-norm clip as the trainer applies it (clipScale → gradScale). MLX_TRAIN_FUSED
// picks the fused primitive or the stock op chain. One JSON line: median wall and process CPU ms per update.
import { mx, optim } from '../../src/index.js';

const steps = Number(process.argv[2] ?? 5);

function minilmShapes(hidden = 384, layers = 6, ffn = 1536, vocab = 30522, positions = 512, labels = 2): [string, number[]][] {
  const shapes: [string, number[]][] = [['word', [vocab, hidden]], ['position', [positions, hidden]], ['type', [2, hidden]], ['emb_ln.w', [hidden]], ['emb_ln.b', [hidden]]];
  for (let i = 0; i < layers; i++) {
    for (const name of ['q', 'k', 'v', 'o']) shapes.push([`${i}.${name}.w`, [hidden, hidden]], [`${i}.${name}.b`, [hidden]]);
    shapes.push([`${i}.ln1.w`, [hidden]], [`${i}.ln1.b`, [hidden]], [`${i}.up.w`, [ffn, hidden]], [`${i}.up.b`, [ffn]],
      [`${i}.down.w`, [hidden, ffn]], [`${i}.down.b`, [hidden]], [`${i}.ln2.w`, [hidden]], [`${i}.ln2.b`, [hidden]]);
  }
  shapes.push(['pooler.w', [hidden, hidden]], ['pooler.b', [hidden]], ['head.w', [labels, hidden]], ['head.b', [labels]]);
  return shapes;
}

mx.random.seed(0);
const params: Record<string, mx.Array> = Object.fromEntries(minilmShapes().map(([k, s]) => [k, mx.keep(mx.multiply(mx.random.normal(s), 0.02))]));
const grads: Record<string, mx.Array> = Object.fromEntries(minilmShapes().map(([k, s]) => [k, mx.keep(mx.multiply(mx.random.normal(s), 1e-3))]));
mx.eval(params, grads);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function measure(clip: boolean): [number, number] {
  const opt = new optim.AdamW({ learningRate: 1e-4, weightDecay: 0.01 });
  opt.init(params);
  mx.eval(opt.state);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < steps + 2; s++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    mx.tidy(() => {
      const old = Object.values(params);
      const gradScale = clip ? optim.clipScale(grads, 1.0)[0] : undefined;
      opt.update(params, grads, { gradScale });
      mx.keep(Object.values(params));
      // As Python drops its last reference on reassignment: the update may reuse these buffers.
      for (const a of old) a.dispose();
      mx.eval(params, opt.state);
    });
    if (s >= 2) {
      wall.push(performance.now() - w0);
      cpu.push(cpuMs() - c0);
    }
  }
  return [median(wall), median(cpu)];
}

const [updateMs, updateCpuMs] = measure(false);
const [clipUpdateMs, clipUpdateCpuMs] = measure(true);
console.log(JSON.stringify({ updateMs, updateCpuMs, clipUpdateMs, clipUpdateCpuMs }));
