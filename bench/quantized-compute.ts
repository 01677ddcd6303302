/**
 * QuantizedLinear's compute paths on the CPU: MLX's quantized matmul vs dequantize-then-sgemm (the
 * 'auto' default on the CPU), with fp32 Linear layers as the reference, on the Linear layers of one
 * MiniLM encoder layer with rank-8 LoRA (forward + gradients). Each contender runs in a fresh process,
 * alternating trial by trial; reports process CPU ms per step and the ratios.
 * Run: node --import ./scripts/register-ts.mjs bench/quantized-compute.ts [--trials N] [--steps N]
 */
import { argValue, fmt, median, nodeCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

const trials = argValue('trials', 3);
const steps = argValue('steps', 10);
const names = ['float', 'dequantized', 'quantized'] as const;
const results = runTrials<{ cpuMs: number; wallMs: number }>(names.map((n) => nodeCase(n, 'quantized-compute.ts', ['--compute', n, '--steps', String(steps)])), trials);
const cpu = (n: string) => median(results.get(n)!.map((r) => r.cpuMs));
const wall = (n: string) => median(results.get(n)!.map((r) => r.wallMs));
const label: Record<string, string> = { float: 'fp32 Linear + LoRA (reference)', dequantized: "4-bit, compute 'dequantized' (CPU default)", quantized: "4-bit, compute 'quantized' (mx.quantizedMatmul)" };
console.log(`## QuantizedLinear compute paths (quantized-compute)

${describeMachine()}
- One MiniLM encoder layer's Linear layers (384→384 ×4, 384→1536, 1536→384), rank-8 LoRA, batch 16 × 64 tokens, forward + gradients; ${trials} trial(s) × ${steps} steps, medians

${table(['path', 'process CPU ms / step', 'wall ms / step', 'CPU vs fp32', 'CPU vs quantized matmul'], names.map((n) => [label[n], fmt(cpu(n), 1), fmt(wall(n), 1), `${fmt(cpu(n) / cpu('float'), 2)}×`, `${fmt(cpu(n) / cpu('quantized'), 3)}×`]))}`);
