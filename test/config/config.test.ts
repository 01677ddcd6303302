import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { configToYaml, loadPreset, PRESETS, resolveConfig } from '../../src/config/index.js';
import { envName, flattenConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-config-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `c${n++}.yaml`);
  writeFileSync(p, text);
  return p;
}

describe('TrainingConfig defaults and presets', () => {
  it('has the documented defaults', () => {
    const { config } = resolveConfig({ env: {} });
    expect(config.training.learningRate).toBe(5e-5);
    expect(config.training.epochs).toBe(3);
    expect(config.training.batchSize).toBe(32);
    expect(config.training.maxBatchSize).toBe(64);
    expect(config.training.gradientAccumulationSteps).toBe(1);
    expect(config.training.mixedPrecision).toBe('off');
    expect(config.training.quantization).toEqual({ enabled: false, bits: 4, groupSize: 64 });
    expect(config.tracking.experimentName).toBe('mlx_training');
    expect(config.tracking.trackingUri).toBe('sqlite:///mlruns/mlflow.db');
    expect(config.tracking.artifactLocation).toBe('mlruns/artifacts');
    expect(config.training.compile).toBe('update');
  });

  it('takes training.compile as a boolean, step or update, and names the choices otherwise', () => {
    for (const [v, want] of [['false', false], ['true', true], ['step', 'step'], ['update', 'update']] as const) {
      expect(resolveConfig({ env: {}, set: [`training.compile=${v}`] }).config.training.compile).toBe(want);
    }
    expect(() => resolveConfig({ env: {}, set: ['training.compile=always'] })).toThrow(/training\.compile: expected true, false, 'step' or 'update'/);
  });

  it('loads every preset', () => {
    for (const p of PRESETS) expect(loadPreset(p).model.architecture).toBeTypeOf('string');
    expect(loadPreset('standard').data.kFolds).toBe(5);
    expect(loadPreset('quick').model.size).toBe('tiny');
  });

  it('layers preset < file (extends) < env < --set', () => {
    const f = file('extends: quick\ntraining:\n  epochs: 7\n  learningRate: 2e-4\n');
    const { config, layers } = resolveConfig({
      file: f,
      env: { MLX_TRAIN_TRAINING__LEARNING_RATE: '3e-4', MLX_TRAIN_TRAINING__BATCH_SIZE: '16' },
      set: ['training.batchSize=8', 'tracking.tags.team=nlp'],
    });
    expect(config.model.size).toBe('tiny'); // from the preset
    expect(config.training.epochs).toBe(7); // file over preset
    expect(config.training.learningRate).toBe(3e-4); // env over file
    expect(config.training.batchSize).toBe(8); // --set over env
    expect(config.tracking.tags).toEqual({ team: 'nlp' });
    expect(layers).toEqual(['defaults', 'preset quick', 'file ' + f, 'env', '--set']);
  });

  it('honours MLFLOW_TRACKING_URI', () => {
    const { config } = resolveConfig({ env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000' } });
    expect(config.tracking.trackingUri).toBe('http://127.0.0.1:5000');
  });

  it('leaves MLX_TRAIN_FUSED (the fused-kernel switch) to the kernels, not the config', () => {
    expect(resolveConfig({ env: { MLX_TRAIN_FUSED: '0' } }).config).toEqual(resolveConfig({ env: {} }).config);
  });

  it('extends a relative file and round-trips through YAML', () => {
    const base = file('training:\n  epochs: 9\n');
    const child = file(`extends: ./${base.split('/').pop()}\nmodel:\n  size: small\n`);
    const { config } = resolveConfig({ file: child, env: {} });
    expect(config.training.epochs).toBe(9);
    expect(resolveConfig({ file: file(configToYaml(config)), env: {} }).config).toEqual(config);
    expect(parse(configToYaml(config)).model.size).toBe('small');
  });

  it("accepts 'auto' for data.template; the standard preset uses it", () => {
    expect(loadPreset('standard').data.template).toBe('auto');
    expect(resolveConfig({ set: ['data.template=auto'], env: {} }).config.data.template).toBe('auto');
    expect(resolveConfig({ file: file('data:\n  template: auto\n'), env: {} }).config.data.template).toBe('auto');
    // null and a template string still work, and override the preset's auto.
    expect(resolveConfig({ preset: 'standard', set: ['data.template=null'], env: {} }).config.data.template).toBeNull();
    expect(resolveConfig({ preset: 'standard', set: ['data.template={Sex} in class {Pclass}'], env: {} }).config.data.template).toBe('{Sex} in class {Pclass}');
  });

  it('flattens to dotted params', () => {
    const flat = flattenConfig(loadPreset('quick'));
    expect(flat['training.learningRate']).toBe('0.0003');
    expect(flat['model.size']).toBe('tiny');
    expect(flat['training.earlyStopping.enabled']).toBe('false');
  });

  it('names env vars after key paths', () => {
    expect(envName(['training', 'learningRate'])).toBe('MLX_TRAIN_TRAINING__LEARNING_RATE');
    expect(envName(['outputDir'])).toBe('MLX_TRAIN_OUTPUT_DIR');
  });
});

// Each bad config must be a ConfigError whose message names what is wrong.
const bad: [string, () => unknown, RegExp][] = [
  ['typo in a section key', () => resolveConfig({ file: file('training:\n  learningRat: 0.1\n'), env: {} }), /training\.learningRat: unknown key .*:2:3.*did you mean 'learningRate'/],
  ['typo in a top-level key', () => resolveConfig({ file: file('trainig:\n  epochs: 2\n'), env: {} }), /trainig: unknown key.*did you mean 'training'/],
  ['negative learning rate', () => resolveConfig({ file: file('training:\n  learningRate: -1\n'), env: {} }), /training\.learningRate: .*>0.*received -1 \(number\).*:2:3/],
  ['learning rate as a string', () => resolveConfig({ file: file('training:\n  learningRate: fast\n'), env: {} }), /training\.learningRate: expected number.*'fast'/],
  ['zero epochs', () => resolveConfig({ set: ['training.epochs=0'], env: {} }), /training\.epochs: .*received 0.*--set training\.epochs=0/],
  ['fractional epochs', () => resolveConfig({ set: ['training.epochs=1.5'], env: {} }), /training\.epochs: expected int/],
  ['batch size above max', () => resolveConfig({ set: ['training.batchSize=128'], env: {} }), /training\.maxBatchSize: maxBatchSize must be >= batchSize/],
  ['bad architecture', () => resolveConfig({ set: ['model.architecture=gpt2'], env: {} }), /model\.architecture: .*"bert"\|"modernbert".*'gpt2'/],
  ['bad model size', () => resolveConfig({ set: ['model.size=huge'], env: {} }), /model\.size: .*'huge'/],
  ['dropout above range', () => resolveConfig({ set: ['model.dropout=1.5'], env: {} }), /model\.dropout: .*received 1.5/],
  ['validation split of 1', () => resolveConfig({ set: ['data.validationSplit=1'], env: {} }), /data\.validationSplit: .*received 1/],
  ['kFolds of 1', () => resolveConfig({ set: ['data.kFolds=1'], env: {} }), /data\.kFolds: kFolds must be 0 \(off\) or at least 2/],
  ['quantization bits 3', () => resolveConfig({ set: ['training.quantization.bits=3'], env: {} }), /training\.quantization\.bits: .*received 3/],
  ['group size 48', () => resolveConfig({ set: ['training.quantization.groupSize=48'], env: {} }), /training\.quantization\.groupSize: .*received 48/],
  ['mixed precision typo', () => resolveConfig({ set: ['training.mixedPrecision=fp8'], env: {} }), /training\.mixedPrecision: .*'fp8'/],
  ['unknown optimizer', () => resolveConfig({ set: ['training.optimizer=rmsprop'], env: {} }), /training\.optimizer: .*'rmsprop'/],
  ['focal loss with label smoothing', () => resolveConfig({ set: ['training.loss=focal', 'training.labelSmoothing=0.3'], env: {} }), /training\.labelSmoothing: labelSmoothing applies to loss: cross_entropy only/],
  ['negative focal gamma', () => resolveConfig({ set: ['training.focalGamma=-1'], env: {} }), /training\.focalGamma: .*received -1/],
  ['unknown --set key', () => resolveConfig({ set: ['training.lr=0.1'], env: {} }), /training\.lr: unknown key \(--set training\.lr=0\.1\)/],
  ['--set without =', () => resolveConfig({ set: ['training.epochs'], env: {} }), /--set training\.epochs: expected key\.path=value/],
  ['--set with empty path segment', () => resolveConfig({ set: ['training..epochs=2'], env: {} }), /not a valid key path/],
  ['--set into a value', () => resolveConfig({ set: ['training.epochs.max=2'], env: {} }), /training\.epochs\.max: 'training\.epochs' is a value, not a section/],
  ['unknown env var', () => resolveConfig({ env: { MLX_TRAIN_TRAINING__LEARNING_RAT: '1' } }), /unknown config environment variable MLX_TRAIN_TRAINING__LEARNING_RAT.*MLX_TRAIN_TRAINING__LEARNING_RATE/],
  ['env var with a bad value', () => resolveConfig({ env: { MLX_TRAIN_TRAINING__EPOCHS: 'many' } }), /training\.epochs: .*'many'.*env MLX_TRAIN_TRAINING__EPOCHS/],
  ['unknown preset', () => resolveConfig({ preset: 'quik', env: {} }), /unknown preset 'quik'; did you mean 'quick'/],
  ['missing config file', () => resolveConfig({ file: join(dir, 'nope.yaml'), env: {} }), /config file not found: .*nope\.yaml/],
  ['invalid YAML', () => resolveConfig({ file: file('training:\n  epochs: [1, 2\n'), env: {} }), /c\d+\.yaml:\d+:\d+: invalid YAML/],
  ['duplicate key', () => resolveConfig({ file: file('training:\n  epochs: 1\n  epochs: 2\n'), env: {} }), /invalid YAML: Map keys must be unique/],
  ['top level is a list', () => resolveConfig({ file: file('- a\n- b\n'), env: {} }), /top level of a config file must be a mapping/],
  ['section is a scalar', () => resolveConfig({ file: file('training: 5\n'), env: {} }), /training: expected object.*received 5 \(number\)/],
  ['extends an unknown preset', () => resolveConfig({ file: file('extends: standrd\n'), env: {} }), /extends: 'standrd' is neither a preset/],
  ['extends a non-string', () => resolveConfig({ file: file('extends: 3\n'), env: {} }), /extends: expected a preset name or a file path but received 3/],
  ['extends cycle', () => {
    const a = join(dir, 'cyc-a.yaml');
    const b = join(dir, 'cyc-b.yaml');
    writeFileSync(a, 'extends: ./cyc-b.yaml\n');
    writeFileSync(b, 'extends: ./cyc-a.yaml\n');
    return resolveConfig({ file: a, env: {} });
  }, /extends' cycle/],
  ['empty experiment name', () => resolveConfig({ set: ["tracking.experimentName=''"], env: {} }), /tracking\.experimentName: .*received '' \(string\)/],
  ['class weights not positive', () => resolveConfig({ set: ['training.classWeights=[1, -2]'], env: {} }), /training\.classWeights\.1: .*received -2/],
  ['target modules empty', () => resolveConfig({ set: ['training.lora.targetModules=[]'], env: {} }), /training\.lora\.targetModules: .*received an array of length 0/],
  ['seed negative', () => resolveConfig({ set: ['training.seed=-5'], env: {} }), /training\.seed: .*received -5/],
  ['tags with a non-string value', () => resolveConfig({ file: file('tracking:\n  tags:\n    team: [a]\n'), env: {} }), /tracking\.tags\.team: expected string/],
];

describe('bad configs', () => {
  it('has at least 30 cases', () => expect(bad.length).toBeGreaterThanOrEqual(30));
  for (const [name, run, pattern] of bad) {
    it(`rejects ${name}`, () => {
      let caught: unknown;
      try {
        run();
      } catch (err) {
        caught = err;
      }
      expect(caught, 'expected a ConfigError').toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).code).toBe('CONFIG_ERROR');
      expect((caught as Error).message).toMatch(pattern);
    });
  }
});
