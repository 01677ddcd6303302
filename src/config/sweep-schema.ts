/**
 * The `sweep:` section of a config (what `mlx-train sweep` searches). It lives beside the training schema
 * so one zod parse validates both; that every parameter key names a config key is checked in load.ts
 * (parseConfig), which knows the whole schema, and that each value fits that key in src/sweep/space.ts.
 */
import { z } from 'zod';

const finite = () => z.number().refine(Number.isFinite, 'expected a finite number');

/** One swept key: a continuous range, an integer range, or a list of values. */
export const SweepParameterSchema = z.union([
  z
    .object({
      distribution: z.enum(['uniform', 'log_uniform']),
      min: finite(),
      max: finite(),
    })
    .strict()
    .refine((p) => p.max > p.min, { message: 'max must be greater than min', path: ['max'] })
    .refine((p) => p.distribution !== 'log_uniform' || p.min > 0, { message: 'log_uniform needs min > 0', path: ['min'] }),
  z
    .object({
      distribution: z.literal('int'),
      min: z.number().int(),
      max: z.number().int(),
      step: z.number().int().positive().default(1),
    })
    .strict()
    .refine((p) => p.max > p.min, { message: 'max must be greater than min', path: ['max'] }),
  z
    .object({
      distribution: z.literal('values').optional(),
      values: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1),
    })
    .strict(),
]);

export const SweepPrunerSchema = z
  .object({
    type: z.enum(['asha', 'median', 'none']).default('asha').describe('asha: successive halving at rungs; median: stop a trial below the median of the others at the same point; none.'),
    resource: z
      .enum(['epochs', 'folds'])
      .default('epochs')
      .describe('What a trial has spent when it is judged: epochs (of the first fold, with sweep.folds), or folds (sweep.folds only: after each fold, on the mean of its finished folds\' last-epoch values, the objective so far).'),
    minEpochs: z.number().int().positive().default(1).describe('resource epochs: no trial is pruned before this many epochs (the first ASHA rung).'),
    minFolds: z.number().int().positive().default(1).describe('resource folds: no trial is pruned before this many folds (the first ASHA rung).'),
    reductionFactor: z.number().int().min(2).default(3).describe('ASHA: rungs at min × factor^k (epochs or folds); the top 1/factor at a rung go on.'),
  })
  .strict();

export const SweepSchema = z
  .object({
    method: z.enum(['grid', 'random', 'tpe']).default('tpe'),
    trials: z.number().int().positive().max(10_000).optional().describe('How many trials (grid: at most the grid size, which is the default).'),
    parallel: z.number().int().positive().max(64).default(1).describe('Worker processes training trials at once; the CPU threads are split between them.'),
    metric: z.string().min(1).default('val_accuracy').describe('The objective, a validation metric (val_accuracy, val_loss, val_f1, …).'),
    mode: z.enum(['min', 'max']).optional().describe('Whether the metric is better low or high (default: min for losses, else max).'),
    folds: z.number().int().min(2).max(20).nullable().default(null).describe('Objective = the mean of k-fold cross-validation (last-epoch models) instead of one validation split; pruning rungs fall inside the first fold, or at fold ends with pruner.resource folds.'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0).describe('Seed of the sampler: the same seed draws the same trials.'),
    pruner: SweepPrunerSchema.default(SweepPrunerSchema.parse({})),
    enqueue: z
      .array(z.union([z.literal('base'), z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean(), z.null()]))]))
      .default([])
      .describe("Trials run first, before any draw (random, tpe): 'base' (the base config's own values of the swept keys) or {key: value} (keys left out take the base config's value). The search then starts from, and is ranked against, the config you have."),
    parameters: z.record(z.string().min(1), SweepParameterSchema).refine((p) => Object.keys(p).length > 0, 'name at least one parameter'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.pruner.resource !== 'folds') return;
    if (s.folds === null) ctx.addIssue({ code: 'custom', path: ['pruner', 'resource'], message: "'folds' judges trials after each cross-validation fold; set sweep.folds (e.g. 5) or use resource: epochs" });
    else if (s.pruner.type !== 'none' && s.pruner.minFolds >= s.folds) {
      ctx.addIssue({ code: 'custom', path: ['pruner', 'minFolds'], message: `${s.pruner.minFolds} leaves no fold to prune after (sweep.folds is ${s.folds}, and a trial's last fold is never pruned); use at most ${s.folds - 1}` });
    }
  });

export type SweepSpec = z.output<typeof SweepSchema>;
export type SweepParameter = z.output<typeof SweepParameterSchema>;
