/**
 * Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio & Kégl, "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS 2011), univariate: the finished trials are ranked and split into the best fraction γ
 * ("below", density l) and the rest ("above", density g, with the failed trials); per dimension,
 * candidates are drawn from l and the one with the largest l(x)/g(x) is kept. Numbers are modelled on
 * [0, 1] (log scale for log-uniform) as truncated Gaussian mixtures with one kernel per observation plus
 * a broad prior kernel, bandwidth = the larger gap to a neighbour (the paper's heuristic); choices as
 * smoothed counts (prior weight 1 per value). Like any TPE it is greedy on a list whose value is
 * confounded with stronger knobs in the first trials: it may settle on one value early. All randomness comes from the SeededRandom passed in, so a seed fixes every draw.
 *
 * Pruned trials count (as in Optuna's TPE): ranked after every complete trial, those pruned later first, then by
 * the value they were pruned at. Under ASHA most trials are pruned; ranking only complete ones left TPE
 * drawing uniformly for most of a sweep (24 trials, 7 complete: TPE modelled only the last one).
 */
import type { SeededRandom } from '../data/seeded-random.js';
import { type Dimension, type ParamValue, snapInt, type TrialParams, unitOf } from './space.js';

export interface Observation {
  params: TrialParams;
  /** The objective; for a pruned trial the value it was pruned at; null for a failed trial (always "above"). */
  value: number | null;
  /** Set for a pruned trial: the resource it reached (epochs, or folds with pruner.resource folds). */
  prunedAt?: number;
}

export interface TpeOptions {
  mode: 'min' | 'max';
  /** Complete or pruned trials before TPE takes over from uniform draws. */
  startupTrials: number;
  /** Candidates drawn from l per dimension (the paper's EI maximisation by sampling). */
  candidates?: number;
  /** Fraction of the finished trials in the "below" group. */
  gamma?: number;
}

/** erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7), for the Gaussian CDF. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const cdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

interface Kernel {
  mu: number;
  sigma: number;
}

/** Parzen kernels over [0, 1]: one per point plus the prior (mu 0.5, sigma 1). */
function parzen(points: number[]): Kernel[] {
  const mus = [...points, 0.5].sort((a, b) => a - b);
  const minSigma = 1 / Math.min(100, mus.length);
  const kernels = mus.map((mu, i) => {
    const left = mu - (i > 0 ? mus[i - 1] : 0);
    const right = (i < mus.length - 1 ? mus[i + 1] : 1) - mu;
    return { mu, sigma: Math.min(1, Math.max(minSigma, left, right)) };
  });
  // The prior keeps its broad width, so unexplored regions keep some mass.
  const prior = kernels.findIndex((k) => k.mu === 0.5);
  kernels[prior] = { mu: 0.5, sigma: 1 };
  return kernels;
}

function logDensity(kernels: Kernel[], x: number): number {
  let p = 0;
  for (const k of kernels) {
    const mass = cdf((1 - k.mu) / k.sigma) - cdf((0 - k.mu) / k.sigma);
    const z = (x - k.mu) / k.sigma;
    p += Math.exp(-0.5 * z * z) / (k.sigma * Math.sqrt(2 * Math.PI) * mass);
  }
  return Math.log(p / kernels.length);
}

/** A standard normal draw (Box–Muller). */
function gaussian(rng: SeededRandom): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function drawFrom(kernels: Kernel[], rng: SeededRandom): number {
  const k = kernels[rng.int(kernels.length)];
  for (let i = 0; i < 100; i++) {
    const x = k.mu + k.sigma * gaussian(rng);
    if (x >= 0 && x <= 1) return x;
  }
  return Math.min(1, Math.max(0, k.mu));
}

function fromUnit(d: Exclude<Dimension, { kind: 'choice' }>, u: number): number {
  if (d.kind === 'int') return snapInt(d, d.low + u * (d.high - d.low));
  return d.log ? Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low))) : d.low + u * (d.high - d.low);
}

function suggestNumber(d: Exclude<Dimension, { kind: 'choice' }>, below: number[], above: number[], n: number, rng: SeededRandom): number {
  const l = parzen(below);
  const g = parzen(above);
  let best = Number.NEGATIVE_INFINITY;
  let chosen = 0.5;
  for (let i = 0; i < n; i++) {
    const x = drawFrom(l, rng);
    const score = logDensity(l, x) - logDensity(g, x);
    if (score > best) {
      best = score;
      chosen = x;
    }
  }
  return fromUnit(d, chosen);
}

function suggestChoice(choices: ParamValue[], below: ParamValue[], above: ParamValue[], n: number, rng: SeededRandom): ParamValue {
  const weights = (seen: ParamValue[]) => {
    const w = choices.map((c) => 1 + seen.filter((v) => v === c).length);
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / total);
  };
  const l = weights(below);
  const g = weights(above);
  let best = Number.NEGATIVE_INFINITY;
  let chosen = 0;
  for (let i = 0; i < n; i++) {
    let r = rng.next();
    let j = 0;
    while (j < l.length - 1 && r >= l[j]) r -= l[j++];
    const score = Math.log(l[j]) - Math.log(g[j]);
    if (score > best) {
      best = score;
      chosen = j;
    }
  }
  return choices[chosen];
}

const isRanked = (o: Observation) => o.value !== null && Number.isFinite(o.value);

/** Complete trials by objective, then pruned ones (pruned later first, then by their value). */
function rank(observations: Observation[], mode: 'min' | 'max'): Observation[] {
  const better = (a: Observation, b: Observation) => (mode === 'min' ? a.value! - b.value! : b.value! - a.value!);
  return observations.filter(isRanked).sort((a, b) => {
    if ((a.prunedAt === undefined) !== (b.prunedAt === undefined)) return a.prunedAt === undefined ? -1 : 1;
    return (b.prunedAt ?? 0) - (a.prunedAt ?? 0) || better(a, b);
  });
}

/** Splits finished trials into the best ⌈γ·n⌉ of the ranked ones and the rest (with the failed). */
export function splitObservations(observations: Observation[], mode: 'min' | 'max', gamma: number): { below: Observation[]; above: Observation[] } {
  const sorted = rank(observations, mode);
  const n = Math.max(1, Math.ceil(gamma * sorted.length));
  return { below: sorted.slice(0, n), above: [...sorted.slice(n), ...observations.filter((o) => !isRanked(o))] };
}

/**
 * TPE's suggestion for every dimension, or null while fewer than startupTrials trials are complete or
 * pruned (the caller draws uniformly then).
 */
export function tpeSuggest(dims: Dimension[], observations: Observation[], rng: SeededRandom, options: TpeOptions): TrialParams | null {
  if (observations.filter(isRanked).length < Math.max(1, options.startupTrials)) return null;
  const { below, above } = splitObservations(observations, options.mode, options.gamma ?? 0.25);
  const n = options.candidates ?? 24;
  const out: TrialParams = {};
  for (const d of dims) {
    const has = (o: Observation) => Object.hasOwn(o.params, d.key);
    if (d.kind === 'choice') {
      out[d.key] = suggestChoice(d.choices, below.filter(has).map((o) => o.params[d.key]), above.filter(has).map((o) => o.params[d.key]), n, rng);
    } else {
      const unit = (os: Observation[]) => os.filter(has).map((o) => Math.min(1, Math.max(0, unitOf(d, o.params[d.key]))));
      out[d.key] = suggestNumber(d, unit(below), unit(above), n, rng);
    }
  }
  return out;
}
