/** Small CSVs with a learnable signal for each task (seeded; the words decide the target). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SIZES = ['tiny', 'small', 'medium', 'large', 'huge'];
const COLORS = ['red', 'green', 'blue', 'grey'];
const NOISE = ['plain', 'striped', 'dotted', 'checked'];

/** `size` drives y (10 per step + noise): regression. */
export function regressionCsv(dir: string, rows = 160): string {
  const r = rng(1);
  const lines = ['id,size,color,pattern,price'];
  for (let i = 0; i < rows; i++) {
    const s = Math.floor(r() * SIZES.length);
    lines.push(`${i},${SIZES[s]},${COLORS[Math.floor(r() * 4)]},${NOISE[Math.floor(r() * 4)]},${(20 + 10 * s + (r() - 0.5) * 4).toFixed(2)}`);
  }
  return write(dir, 'regression.csv', lines);
}

/** Each colour word present is a label: multi-label, as one delimited column or 0/1 columns. */
export function multilabelCsv(dir: string, rows = 160): { delimited: string; columns: string } {
  const r = rng(2);
  const a = ['id,text,tags'];
  const b = ['id,text,red,green,blue'];
  for (let i = 0; i < rows; i++) {
    const on = ['red', 'green', 'blue'].filter(() => r() < 0.45);
    const words = [...on, NOISE[Math.floor(r() * 4)]].sort(() => r() - 0.5);
    a.push(`${i},${words.join(' ')},${on.join('|')}`);
    b.push(`${i},${words.join(' ')},${['red', 'green', 'blue'].map((c) => (on.includes(c) ? 1 : 0)).join(',')}`);
  }
  return { delimited: write(dir, 'multilabel.csv', a), columns: write(dir, 'multilabel-columns.csv', b) };
}

/** A rating word drives a 1..4 grade: ordinal (or, as integers 1..4, the ambiguous case of the inference). */
export function ordinalCsv(dir: string, rows = 160): string {
  const r = rng(3);
  const words = ['awful', 'poor', 'good', 'superb'];
  const lines = ['id,review,grade'];
  for (let i = 0; i < rows; i++) {
    const g = Math.floor(r() * 4);
    lines.push(`${i},${NOISE[Math.floor(r() * 4)]} ${words[g]} ${COLORS[Math.floor(r() * 4)]},${g + 1}`);
  }
  return write(dir, 'ordinal.csv', lines);
}

function write(dir: string, name: string, lines: string[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
