/**
 * `mlx-train doctor`: checks what decides whether training works and how fast — MLX and its device,
 * which BLAS is loaded and its measured GFLOP/s, threads, the C++ compiler MLX `compile` needs on CPU,
 * memory, the tracking store, Node — and explains each problem with the fix.
 */
import { existsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { printJson } from './output.js';
import { trackingUri } from './store.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  name: string;
  level: Level;
  value: string;
  hint?: string;
  details?: Record<string, unknown>;
}

const GiB = 1024 ** 3;

async function nativeChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  let mx: typeof import('../core/index.js');
  let native: typeof import('../core/binding.js')['native'];
  try {
    mx = await import('../core/index.js');
    ({ native } = await import('../core/binding.js'));
  } catch (err) {
    return [{ name: 'native addon', level: 'fail', value: 'not loadable', hint: (err as Error).message }];
  }
  const device = mx.defaultDevice();
  checks.push({ name: 'MLX', level: 'ok', value: `${native.mlxVersion} on ${device.type}:${device.index}`, details: { deviceInfo: mx.deviceInfo() } });

  const { blasInfo, measureGemmGflops } = await import('../system/blas.js');
  const blas = blasInfo();
  const gemm = measureGemmGflops(1024, 3);
  const slow = blas.kind === 'reference' || blas.core === 'Prescott' || gemm.gflops < 20;
  const chosenBy = { detected: 'detected by OpenBLAS', user: 'OPENBLAS_CORETYPE', guess: 'OPENBLAS_CORETYPE guessed from CPU flags' };
  const about = [blas.source === 'scipy-openblas32' ? 'scipy-openblas32 from PyPI' : blas.libraries.find((l) => /openblas/.test(l.realPath))?.realPath,
    blas.core && `${blas.core} kernels, ${chosenBy[blas.coreChosenBy ?? 'detected']}`, blas.threading, blas.threads && `${blas.threads} threads`].filter(Boolean);
  checks.push({
    name: 'BLAS',
    level: blas.kind === 'unknown' ? 'warn' : slow ? 'warn' : 'ok',
    value: `${blas.kind}${blas.version ? ` ${blas.version}` : ''}${about.length ? ` (${about.join('; ')})` : ''}, ${gemm.gflops.toFixed(1)} GFLOP/s fp32 GEMM 1024³`,
    hint: blas.kind === 'reference'
      ? 'libmlx is using the slow reference BLAS from the mlx-cpu wheel. Run `npm run fetch-mlx` (it fetches OpenBLAS from PyPI) and rebuild, or set MLX_TRAIN_OPENBLAS_DIR to an installed OpenBLAS first.'
      : blas.core === 'Prescott'
        ? 'OpenBLAS fell back to its generic Prescott kernels (its CPU detection failed); set OPENBLAS_CORETYPE (e.g. SkylakeX or Haswell) for your CPU.'
        : undefined,
    details: { ...blas, gemm },
  });

  const threads = blas.threads ?? Number(process.env.OPENBLAS_NUM_THREADS ?? cpus().length);
  checks.push({
    name: 'threads',
    level: threads > cpus().length ? 'warn' : 'ok',
    value: `${cpus().length} CPUs; BLAS uses ${threads}; MLX runs each stream's non-BLAS kernels on one thread`,
    hint: threads > cpus().length ? 'OPENBLAS_NUM_THREADS exceeds the CPU count, which oversubscribes the cores.' : undefined,
    details: { cpus: cpus().length, blasThreads: threads, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? null, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? null },
  });

  const compiler = mx.compilerAvailable();
  checks.push({
    name: 'C++ compiler for mx.compile',
    level: compiler ? 'ok' : 'warn',
    value: compiler ? 'g++ found on PATH: compiled steps fuse kernels' : 'g++ not found: mx.compile runs uncompiled on CPU',
    hint: compiler ? undefined : 'Install g++ (apt-get install g++) so MLX can build fused CPU kernels at run time.',
  });

  const fusedOn = mx.fusedKernelsEnabled();
  checks.push({
    name: 'fused CPU kernels',
    level: 'ok',
    value: fusedOn
      ? `on, over ${mx.fused.threads()} thread(s), attention matmuls ${mx.fused.smallGemmPath()}: ${mx.fused.kernels.map((k) => k.name).join(', ')}`
      : 'off (MLX_TRAIN_FUSED=0): the stock MLX op chains run',
    hint: fusedOn ? undefined : 'Unset MLX_TRAIN_FUSED to use the multi-threaded fused kernels again.',
    details: { enabled: fusedOn, threads: mx.fused.threads(), smallGemmPath: mx.fused.smallGemmPath(), kernels: fusedOn ? mx.fused.kernels : [] },
  });

  checks.push({
    name: 'memory',
    level: freemem() < 2 * GiB ? 'warn' : 'ok',
    value: `${(totalmem() / GiB).toFixed(1)} GiB total, ${(freemem() / GiB).toFixed(1)} GiB free; MLX active ${(mx.getActiveMemory() / 2 ** 20).toFixed(1)} MiB, limit ${(mx.getMemoryLimit() / GiB).toFixed(1)} GiB`,
    hint: freemem() < 2 * GiB ? 'Less than 2 GiB free: use a smaller batch size or model.' : undefined,
    details: { totalBytes: totalmem(), freeBytes: freemem(), mlxActiveBytes: mx.getActiveMemory(), mlxMemoryLimitBytes: mx.getMemoryLimit(), mlxCacheBytes: mx.getCacheMemory() },
  });
  return checks;
}

async function storeCheck(opts: Record<string, unknown>): Promise<Check> {
  const uri = trackingUri(opts);
  const file = uri.startsWith('sqlite:///') ? uri.slice('sqlite:///'.length) : undefined;
  if (file !== undefined && !existsSync(file)) {
    return { name: 'tracking store', level: 'ok', value: `${uri} (not created yet; the first training run creates it)` };
  }
  try {
    const { openStore } = await import('../tracking/index.js');
    const store = await openStore(uri);
    try {
      const { experiments } = await store.searchExperiments({ maxResults: 1000 });
      return { name: 'tracking store', level: 'ok', value: `${uri}: MLflow schema ok, ${experiments.length} experiment(s)` };
    } finally {
      await store.close();
    }
  } catch (err) {
    return { name: 'tracking store', level: 'fail', value: uri, hint: (err as Error).message };
  }
}

function nodeCheck(): Check {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 17);
  return { name: 'Node.js', level: ok ? 'ok' : 'fail', value: process.version, hint: ok ? undefined : 'mlx-train needs Node.js >= 20.17.' };
}

export async function run(opts: Record<string, unknown>): Promise<void> {
  const checks = [nodeCheck(), ...(await nativeChecks()), await storeCheck(opts)];
  if (opts.json) {
    printJson({ platform: `${process.platform}-${process.arch}`, checks });
  } else {
    const mark: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
    for (const c of checks) {
      process.stdout.write(`[${mark[c.level]}] ${c.name}: ${c.value}\n`);
      if (c.hint) process.stdout.write(`       ${c.hint}\n`);
    }
  }
  if (checks.some((c) => c.level === 'fail')) process.exitCode = 1;
}
