/** `mlx-train config`: print the resolved config, validate a file, or write a starter file. */
import { existsSync, writeFileSync } from 'node:fs';
import { Document, type Scalar } from 'yaml';
import { resolveConfig } from '../config/load.js';
import type { TrainingConfig } from '../config/schema.js';
import { readCsvFile } from '../data/csv.js';
import { AUTO_TEMPLATE, embeddedDatasetAt, resolveLabelColumn, resolveTemplate, TITANIC_TRAIN_PATH } from '../data/embedded.js';
import { compileExtraTemplate } from '../data/augment.js';
import { compileTemplate } from '../data/template.js';
import { DEFAULT_MISSING_VALUES } from '../data/columns.js';
import { taskOf } from '../data/targets.js';
import { printJson, UsageError } from './output.js';

const STARTER = `# mlx-train config. Every key is optional: unset keys take the preset's or the schema's default.
# Print the full resolved config with: mlx-train config -c THIS_FILE
extends: quick

model:
  architecture: bert     # bert | modernbert
  size: tiny             # tiny | mini | small | base (from scratch), or set pretrained: <HF folder>
  maxLength: 64

data:
  trainPath: null        # null: the embedded Kaggle Titanic training set
  labelColumn: auto      # auto: Survived when the CSV has it; name it for your own CSV
  idColumn: auto         # auto: PassengerId when the CSV has it, else none; null: none
  validationSplit: 0.2

training:
  epochs: 4
  learningRate: 1.0e-3
  batchSize: 32

tracking:
  experimentName: mlx_training
`;

export async function run(opts: Record<string, unknown>): Promise<void> {
  if (typeof opts.init === 'string') {
    if (opts.preset || opts.config || opts.validate) throw new UsageError('--init cannot be combined with --preset, --config or --validate');
    if (existsSync(opts.init)) throw new UsageError(`${opts.init} already exists; not overwriting it`);
    writeFileSync(opts.init, STARTER, { flag: 'wx' });
    process.stderr.write(`wrote ${opts.init}\n`);
    return;
  }
  const { config } = resolveConfig({
    preset: opts.preset as string | undefined,
    file: opts.config as string | undefined,
    set: opts.set as string[],
  });
  if (opts.validate) {
    checkTemplate(config);
    process.stdout.write('ok\n');
    return;
  }
  if (opts.json) printJson(config);
  else process.stdout.write(explainedConfigYaml(config));
}

/**
 * A template is only checkable against the training CSV's columns: compile it as training would, so an
 * unknown column or a syntax error fails here (TEMPLATE_ERROR, exit 2) instead of at train start.
 * A training CSV that does not exist yet is not the template's problem: skipped.
 */
function checkTemplate(config: TrainingConfig): void {
  const trainPath = config.data.trainPath ?? TITANIC_TRAIN_PATH;
  const template = resolveTemplate(config.data.template, trainPath);
  const extra = config.data.templates ?? [];
  if ((template === null && extra.length === 0) || !existsSync(trainPath)) return;
  const header = readCsvFile(trainPath).columns;
  const label = resolveLabelColumn(config.data.labelColumn, header);
  const columns = header.filter((c) => c !== label);
  if (template !== null) compileTemplate(template, columns);
  extra.forEach((t, i) => compileExtraTemplate(t, i, columns));
}

/**
 * The task training will run and why (the rule of src/data/targets.ts applied to the training CSV's
 * label column), e.g. `regression (inferred: label column 'y' holds 214 distinct integers …)`.
 */
export function explainTask(config: TrainingConfig): string {
  const trainPath = config.data.trainPath ?? TITANIC_TRAIN_PATH;
  if (!existsSync(trainPath)) return `${config.model.task}: decided when ${trainPath} exists`;
  try {
    const table = readCsvFile(trainPath);
    const labelColumn = config.data.labelColumns ? '' : (resolveLabelColumn(config.data.labelColumn, table.columns) ?? config.data.labelColumn);
    const choice = taskOf(table, { task: config.model.task, labelColumn, labelColumns: config.data.labelColumns, labelDelimiter: config.data.labelDelimiter, missingValues: DEFAULT_MISSING_VALUES });
    return `→ ${choice.task} (${choice.reason})${choice.warning ? `. WARNING: ${choice.warning}` : ''}`;
  } catch (err) {
    return `cannot tell yet: ${(err as Error).message}`;
  }
}

/** What `template: auto` renders with for the configured training CSV, in words (resolved as the data pipeline does). */
export function explainAutoTemplate(config: TrainingConfig): string {
  const trainPath = config.data.trainPath ?? TITANIC_TRAIN_PATH;
  const dataset = embeddedDatasetAt(trainPath);
  if (dataset?.recommendedTemplate) return `auto → the recommended template of the embedded ${dataset.name} data:\n${dataset.recommendedTemplate}`;
  return `auto → "name: value" pairs (${trainPath} has no recommended template)`;
}

/**
 * The resolved config as YAML (as configToYaml writes it), with the template that `data.template: auto`
 * resolves to as a comment under it, so what the text will look like shows before training.
 */
export function explainedConfigYaml(config: TrainingConfig): string {
  const doc = new Document(config);
  const task = doc.getIn(['model', 'task'], true) as Scalar | undefined;
  if (task) task.comment = ` ${explainTask(config)}`;
  if (config.data.template === AUTO_TEMPLATE) {
    const node = doc.getIn(['data', 'template'], true) as Scalar;
    node.comment = explainAutoTemplate(config)
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}
