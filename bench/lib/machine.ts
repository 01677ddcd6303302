/** The machine and versions a benchmark ran on, for the header of its results. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { pythonPath } from './harness.js';

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function describeMachine(): string {
  const lscpu = tryRun('lscpu', []);
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1] ?? '';
  const model = field('Model name') || cpus()[0]?.model || 'unknown CPU';
  const flags = field('Flags');
  const isa = ['avx512f', 'avx2', 'fma'].filter((f) => flags.split(' ').includes(f)).join(' ');
  const py = tryRun(pythonPath(), ['-c', 'import sys, mlx.core as mx, numpy as np; print(sys.version.split()[0], mx.__version__, np.__version__)']).split(' ');
  return [
    `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- CPU: ${model} (${field('Hypervisor vendor') ? `${field('Hypervisor vendor')} VM, ` : ''}${cpus().length} cores${isa ? `, ${isa}` : ''}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `- Load average at start: ${tryRun('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ')}`,
    `- Node ${process.version}; Python ${py[0] ?? '?'}, Python MLX ${py[1] ?? '?'}, NumPy ${py[2] ?? '?'}`,
  ].join('\n');
}
