/** `mlx-train config`: print the resolved config, validate a file, or write a starter file. */
import { existsSync, writeFileSync } from 'node:fs';
import { configToYaml, resolveConfig } from '../config/load.js';
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
  labelColumn: Survived
  idColumn: PassengerId
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
    process.stdout.write('ok\n');
    return;
  }
  if (opts.json) printJson(config);
  else process.stdout.write(configToYaml(config));
}
