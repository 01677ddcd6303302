/**
 * Training-time text augmentation: every row is encoded once per template (the main one first, then
 * data.templates), and each epoch picks which rendering of each training row is trained on.
 *
 * The encoded variants sit in one table, variant-major: example `v * rowCount + row` is row `row` rendered
 * by template `v` (0 = the main template, the one evaluation and prediction use). An epoch trains
 * `copies` examples per training row; each copy is the main rendering or, with `probability`, one drawn
 * uniformly from all the templates. The draws depend only on (seed, epoch), like the batch order, so a
 * run resumed mid-epoch sees exactly the examples it would have seen.
 */
import { AUTO_TEMPLATE } from './embedded.js';
import type { EncodedExamples } from './encoded.js';
import { ConfigError } from '../errors.js';
import { SeededRandom } from './seeded-random.js';
import { type CompiledTemplate, compileTemplate, type TemplateOptions } from './template.js';

export interface AugmentOptions {
  /** Training examples per row and epoch (default 1). */
  copies?: number;
  /** Chance that a copy is rendered by a template drawn from all of them rather than the main one (default 1). */
  probability?: number;
}

export const MAX_COPIES = 100;

/** Checked options with defaults filled; a bad value is a ConfigError naming the key. */
export function resolveAugment(augment: AugmentOptions | null | undefined, templates: number): Required<AugmentOptions> | null {
  if (augment === null || augment === undefined) return templates > 1 ? { copies: 1, probability: 1 } : null;
  for (const key of Object.keys(augment)) {
    if (key !== 'copies' && key !== 'probability') throw new ConfigError(`option 'augment': unknown key '${key}' (expected copies, probability)`);
  }
  const copies = augment.copies ?? 1;
  const probability = augment.probability ?? 1;
  if (!Number.isInteger(copies) || copies < 1 || copies > MAX_COPIES) throw new ConfigError(`option 'augment.copies': expected an integer in 1..${MAX_COPIES} but received ${copies}`);
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) throw new ConfigError(`option 'augment.probability': expected a number in [0, 1] but received ${probability}`);
  if (templates < 2 && copies === 1) throw new ConfigError("option 'augment': augment does nothing with one template and copies 1: add data.templates, or raise augment.copies");
  return { copies, probability };
}

/** data.templates[index] compiled against the CSV's columns; an error names that key. */
export function compileExtraTemplate(template: string, index: number, columns: readonly string[], options: TemplateOptions = {}): CompiledTemplate {
  const key = `templates[${index}]`;
  if (template === AUTO_TEMPLATE) throw new ConfigError(`option '${key}': 'auto' is only a value of data.template: list template strings here`, 'TEMPLATE_ERROR');
  try {
    return compileTemplate(template, columns, options);
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code !== 'TEMPLATE_ERROR') throw err;
    // The template compiler names 'template'; this one is data.templates[index].
    throw new ConfigError(err.message.replace("option 'template': ", `option '${key}': `), 'TEMPLATE_ERROR', { cause: err });
  }
}

/** One table holding every example of `parts`, in order (example i of part p becomes p * count + i). */
export function concatExamples(parts: readonly EncodedExamples[]): EncodedExamples {
  if (parts.length === 1) return parts[0];
  const count = parts.reduce((n, p) => n + p.count, 0);
  const total = parts.reduce((n, p) => n + p.ids.length, 0);
  const offsets = new Int32Array(count + 1);
  const ids = new Int32Array(total);
  const typeIds = new Uint8Array(total);
  let example = 0;
  let token = 0;
  for (const p of parts) {
    for (let i = 1; i <= p.count; i++) offsets[example + i] = token + p.offsets[i];
    ids.set(p.ids, token);
    typeIds.set(p.typeIds, token);
    example += p.count;
    token += p.ids.length;
  }
  return { count, offsets, ids, typeIds };
}

/** `values` (rows of `width`) repeated `times` over, for a variant-major table. */
export function tileRows<T extends Int32Array | Float32Array>(values: T, times: number): T {
  if (times === 1) return values;
  const out = new (values.constructor as new (n: number) => T)(values.length * times);
  for (let t = 0; t < times; t++) out.set(values, t * values.length);
  return out;
}

/** The examples one epoch trains on: `copies` per training row, each a rendering chosen per the options. */
export function augmentedEpoch(trainRows: readonly number[], rowCount: number, templates: number, options: Required<AugmentOptions>, seed: number, epoch: number): number[] {
  const rng = new SeededRandom(seed, 0xa06e, epoch);
  const out: number[] = [];
  for (let copy = 0; copy < options.copies; copy++) {
    for (const row of trainRows) {
      // Two draws per copy whatever the outcome, so one copy's choice never shifts the next one's.
      const drawn = rng.next() < options.probability;
      const variant = rng.int(templates);
      out.push((drawn ? variant : 0) * rowCount + row);
    }
  }
  return out;
}
