// Distillation for regression, multilabel and ordinal from the CLI: a teacher run of the task teaches a
// student of the same task (its soft targets change training), and a teacher of another task or label
// set is refused with a config error (src/trainer/distill.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { multilabelCsv, ordinalCsv, regressionCsv } from '../trainer/tasks/task-csvs.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-tasks-distill-'));
const quick = ['--preset', 'quick', '--set', 'model.maxLength=16', '--set', 'data.vocabSize=100', '--set', 'training.learningRate=1e-3', '--set', 'data.idColumn=id', '--no-track', '--json'];
const long = { cwd: dir, timeoutMs: 600_000 };

function config(name: string, body: string, distillation = ''): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `${body}training:\n  epochs: 2\n${distillation}outputDir: ${join(dir, name)}\n`);
  return path;
}

/** Teacher, student with distillation, student alone: the student trains and the teacher changed it. */
function distils(task: string, body: string, temperature = 2): void {
  const teacher = cli(['train', '-c', config(`${task}-teacher`, body), ...quick, '--set', 'training.epochs=3'], long);
  expect(teacher.code, teacher.stderr).toBe(0);
  const d = `  distillation:\n    teacher: ${join(dir, `${task}-teacher`)}\n    temperature: ${temperature}\n    alpha: 0.7\n`;
  const student = cli(['train', '-c', config(`${task}-student`, body, d), ...quick], long);
  expect(student.code, student.stderr).toBe(0);
  expect(student.stderr).toMatch(/distillation: teacher .* scored 160 rows/);
  const alone = cli(['train', '-c', config(`${task}-alone`, body), ...quick], long);
  expect(alone.code, alone.stderr).toBe(0);
  expect(JSON.parse(student.stdout).metrics.loss).not.toBeCloseTo(JSON.parse(alone.stdout).metrics.loss, 5);
}

const regression = () => `data:\n  trainPath: ${regressionCsv(dir)}\n  labelColumn: price\n`;
const ordinal = () => `model:\n  task: ordinal\ndata:\n  trainPath: ${ordinalCsv(dir)}\n  labelColumn: grade\n`;

describe('distillation for every task from the CLI', () => {
  it('regression: the teacher\'s prediction in the student\'s standardised space (MSE), mixed by alpha', () => distils('regression', regression(), 1), 600_000);

  it('multilabel: BCE to the teacher\'s per-label probabilities at T', () => distils('multilabel', `data:\n  trainPath: ${multilabelCsv(dir).delimited}\n  labelColumn: tags\n  labelDelimiter: "|"\n`), 600_000);

  it('ordinal: BCE to the teacher\'s per-threshold probabilities at T', () => distils('ordinal', ordinal()), 600_000);

  it('a teacher of another task or label set is refused (exit 2), naming both', () => {
    // The ordinal teacher above teaching a classification student on the same grades.
    const asClasses = `data:\n  trainPath: ${ordinalCsv(dir)}\n  labelColumn: grade\n`;
    const d = `  distillation:\n    teacher: ${join(dir, 'ordinal-teacher')}\n`;
    const r = cli(['train', '-c', config('wrong-task', `model:\n  task: classification\n${asClasses}`, d), ...quick], long);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/teacher is a ordinal model but the student's task is classification/);
    // The regression teacher for a regression student of another target column.
    const other = join(dir, 'other-target.csv');
    writeFileSync(other, `id,size,cost\n${Array.from({ length: 40 }, (_, i) => `${i},${['tiny', 'huge'][i % 2]},${(i % 2) * 10 + 0.5}`).join('\n')}\n`);
    const d2 = `  distillation:\n    teacher: ${join(dir, 'regression-teacher')}\n`;
    const r2 = cli(['train', '-c', config('wrong-target', `data:\n  trainPath: ${other}\n  labelColumn: cost\n`, d2), ...quick], long);
    expect(r2.code, r2.stderr).toBe(2);
    expect(r2.stderr).toMatch(/trained on the target column \[price\] but the student's are \[cost\]/);
  }, 600_000);
});
