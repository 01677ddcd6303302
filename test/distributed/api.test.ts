/** The distributed API in one process: availability, init errors, the group of one, shardIndices, averageGradients' contract. */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mx from '../../src/core/index.js';
import { native } from '../../src/core/binding.js';
import * as dist from '../../src/distributed/index.js';
import { checkRingEnvironment } from '../../src/distributed/init.js';
import { defaultTimeoutMs } from '../../src/distributed/timeout.js';
import { root } from './helpers.js';

describe('availability', () => {
  it('reports the ring backend, which libmlx always has', () => {
    expect(dist.isAvailable()).toBe(true);
    expect(dist.isAvailable('ring')).toBe(true);
  });
  it('reports MPI as unavailable on this machine (no MPI libraries) and refuses it in strict mode with a clear error', () => {
    expect(dist.isAvailable('mpi')).toBe(false);
    expect(() => dist.init({ strict: true, backend: 'mpi' })).toThrow(/mpi backend is not available/);
  });
  it('names a bad backend or option', () => {
    expect(() => dist.isAvailable('tcp' as dist.Backend)).toThrow(/expected one of any, ring, mpi.* for backend but received "tcp"/);
    expect(() => dist.init({ backend: 'tcp' as dist.Backend })).toThrow(/for backend/);
    expect(() => dist.init({ stict: true } as dist.InitOptions)).toThrow(/unknown option 'stict'/);
  });
});

describe('a process started alone', () => {
  it('is a group of one where rank is 0 and collectives return their input', () => {
    const group = dist.init({ strict: false });
    expect([group.rank(), group.size()]).toEqual([0, 1]);
    expect([dist.rank(), dist.worldSize(), dist.isMainProcess()]).toEqual([0, 1, true]);
    const x = mx.array([[1.5, -2], [3, 4]], { dtype: 'float32' });
    const s = dist.allSum(x, { group });
    const g = dist.allGather(x, { group });
    dist.evalCollective([s, g]);
    expect(s.toList()).toEqual(x.toList());
    expect(g.shape).toEqual([2, 2]);
    expect(g.toList()).toEqual(x.toList());
  });
  it('averageGradients returns the very same tree with a world of one', () => {
    const grads = { w: mx.array([1, 2, 3], { dtype: 'float32' }), layers: [{ b: mx.array([4], { dtype: 'float32' }) }] };
    expect(dist.averageGradients(grads, dist.getDefaultGroup())).toBe(grads);
  });
  it('refuses something that is not a group handle', () => {
    expect(() => native.distributedGroupRank({} as never)).toThrow(/expected a distributed group handle/);
    expect(() => native.distributedGroupRank(mx.array([1]).handle as never)).toThrow(/expected a distributed group handle/);
    expect(() => dist.allSum(mx.array([1]), { group: 3 as never })).toThrow(/expected a distributed Group for group/);
  });
  it('checks ranks given to send and recv', () => {
    const group = dist.getDefaultGroup();
    expect(() => dist.send(mx.array([1]), -1, { group })).toThrow(/expected a rank \(integer ≥ 0\) for dst/);
    expect(() => dist.recv([2], 'float32', 1, { group })).toThrow(/src=1 but the group has 1 processes/);
    expect(() => dist.recv([2.5], 'float32', 0, { group })).toThrow(/expected a shape/);
  });
});

describe('ring environment errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-ring-env-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  it('names the missing variables (instead of blocking or MLX’s generic message)', () => {
    expect(() => checkRingEnvironment({})).toThrow(/needs MLX_RANK and MLX_HOSTFILE .*MLX_RANK=<unset>.*mlx-train launch/);
    const saved = { rank: process.env.MLX_RANK, file: process.env.MLX_HOSTFILE };
    delete process.env.MLX_RANK;
    delete process.env.MLX_HOSTFILE;
    try {
      expect(() => dist.init({ strict: true, backend: 'ring' })).toThrow(dist.DistributedError);
    } finally {
      if (saved.rank !== undefined) process.env.MLX_RANK = saved.rank;
      if (saved.file !== undefined) process.env.MLX_HOSTFILE = saved.file;
    }
  });
  it('names a bad rank, a missing or malformed hostfile, and a rank beyond the hostfile', () => {
    const good = file('good.json', JSON.stringify([['127.0.0.1:5000'], ['127.0.0.1:5001']]));
    expect(checkRingEnvironment({ MLX_RANK: '1', MLX_HOSTFILE: good })).toEqual({ rank: 1, size: 2 });
    expect(() => checkRingEnvironment({ MLX_RANK: 'one', MLX_HOSTFILE: good })).toThrow(/MLX_RANK must be a non-negative integer but is 'one'/);
    expect(() => checkRingEnvironment({ MLX_RANK: '0', MLX_HOSTFILE: join(dir, 'nope.json') })).toThrow(/nope.json, which does not exist/);
    expect(() => checkRingEnvironment({ MLX_RANK: '0', MLX_HOSTFILE: file('bad.json', '[["127.0.0.1:5000"],') })).toThrow(/bad.json is not valid JSON/);
    expect(() => checkRingEnvironment({ MLX_RANK: '0', MLX_HOSTFILE: file('shape.json', '["127.0.0.1:5000"]') })).toThrow(/one list of "ip:port" strings per rank/);
    expect(() => checkRingEnvironment({ MLX_RANK: '2', MLX_HOSTFILE: good })).toThrow(/MLX_RANK=2 but MLX_HOSTFILE .* lists only 2 ranks/);
  });
  it('turns MLX’s own ring error into a DistributedError naming init', () => {
    // A hostfile whose address cannot be parsed reaches MLX (our check only validates the shape).
    const saved = { rank: process.env.MLX_RANK, file: process.env.MLX_HOSTFILE };
    process.env.MLX_RANK = '0';
    process.env.MLX_HOSTFILE = file('unresolvable.json', JSON.stringify([['no-such-host.invalid:5000'], ['no-such-host.invalid:5001']]));
    try {
      expect(() => dist.init({ strict: true, backend: 'ring', timeoutMs: 30_000 })).toThrow(/distributed.init \(backend ring\) failed: .*(parse address|no-such-host)/i);
    } finally {
      if (saved.rank === undefined) delete process.env.MLX_RANK;
      else process.env.MLX_RANK = saved.rank;
      if (saved.file === undefined) delete process.env.MLX_HOSTFILE;
      else process.env.MLX_HOSTFILE = saved.file;
    }
  });
});

describe('shardIndices', () => {
  it('covers 0..n-1 exactly once with blocks that differ by at most one', () => {
    for (const [n, size] of [[10, 3], [7, 7], [3, 5], [0, 2], [1000, 8]]) {
      const shards = Array.from({ length: size }, (_, r) => dist.shardIndices(n, r, size));
      expect(shards.flat()).toEqual(Array.from({ length: n }, (_, i) => i));
      const lengths = shards.map((s) => s.length);
      expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
    }
  });
  it('names bad arguments', () => {
    expect(() => dist.shardIndices(10, 2, 2)).toThrow(/expected a rank in \[0, 2\) but received 2/);
    expect(() => dist.shardIndices(-1, 0, 2)).toThrow(/integer ≥ 0 for n/);
    expect(() => dist.shardIndices(10, 0, 0)).toThrow(/integer ≥ 1 for size/);
  });
});

describe('timeouts', () => {
  it('reads MLX_TRAIN_DIST_TIMEOUT_MS and rejects nonsense', () => {
    const saved = process.env.MLX_TRAIN_DIST_TIMEOUT_MS;
    try {
      process.env.MLX_TRAIN_DIST_TIMEOUT_MS = '2500';
      expect(defaultTimeoutMs()).toBe(2500);
      process.env.MLX_TRAIN_DIST_TIMEOUT_MS = 'soon';
      expect(() => defaultTimeoutMs()).toThrow(/MLX_TRAIN_DIST_TIMEOUT_MS but received 'soon'/);
    } finally {
      if (saved === undefined) delete process.env.MLX_TRAIN_DIST_TIMEOUT_MS;
      else process.env.MLX_TRAIN_DIST_TIMEOUT_MS = saved;
    }
  });
  const watchdogChild = (body: string) => {
    const script = `import * as dist from ${JSON.stringify(join(root, 'src', 'distributed', 'timeout.ts'))}; ${body}`;
    return spawnSync(process.execPath, ['--import', join(root, 'scripts', 'register-ts.mjs'), '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  };
  it('ends a stalled call with exit 124 and a message naming it', () => {
    const r = watchdogChild("dist.withDeadline('test stall', 300, () => { const t = Date.now() + 5000; while (Date.now() < t); });");
    expect(r.status).toBe(124);
    expect(r.stderr).toContain('mlx-train: distributed test stall did not finish within 300 ms');
  }, 60_000);
  it('is disarmed once the call returns or throws', () => {
    const r = watchdogChild(
      "dist.withDeadline('quick', 300, () => 1); try { dist.withDeadline('throws', 300, () => { throw new Error('boom'); }); } catch {} const t = Date.now() + 800; while (Date.now() < t); console.log('survived');",
    );
    expect(r.stderr).toBe('');
    expect([r.status, r.stdout.trim()]).toEqual([0, 'survived']);
  }, 60_000);
});
