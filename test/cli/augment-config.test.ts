// `mlx-train config --validate` checks data.templates against the training CSV, and bad augment /
// distillation values are usage errors (exit 2) naming the key.
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

describe('config --validate with data.templates, data.augment, training.distillation', () => {
  it('accepts good templates and names the template at fault', () => {
    expect(cli(['config', '--validate', '--preset', 'quick', '--set', 'data.templates=["a {Age}-year-old {Sex}", "class {Pclass}"]']).code).toBe(0);
    const r = cli(['config', '--validate', '--preset', 'quick', '--set', 'data.templates=["a {Age}", "a {Agee}"]']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[TEMPLATE_ERROR]: option 'templates[1]': unknown column 'Agee' (did you mean 'Age'?)");
  });

  it('rejects bad augment and distillation values with exit 2', () => {
    const copies = cli(['config', '--preset', 'quick', '--set', 'data.augment.copies=0']);
    expect(copies.code).toBe(2);
    expect(copies.stderr).toMatch(/data\.augment\.copies/);
    const alpha = cli(['config', '--preset', 'quick', '--set', 'training.distillation.teacher=x', '--set', 'training.distillation.alpha=1.5']);
    expect(alpha.code).toBe(2);
    expect(alpha.stderr).toMatch(/training\.distillation\.alpha/);
    const temperature = cli(['config', '--preset', 'quick', '--set', 'training.distillation.teacher=x', '--set', 'training.distillation.temperature=0']);
    expect(temperature.stderr).toMatch(/training\.distillation\.temperature/);
    expect(cli(['config', '--preset', 'quick', '--set', 'training.distillation.temperature=2']).stderr).toMatch(/training\.distillation\.teacher/);
  });

  it('a teacher that does not exist stops train with exit 2 before any training', () => {
    const r = cli(['train', '--preset', 'quick', '--no-track', '--set', 'training.distillation.teacher=/nonexistent/teacher']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[CONFIG_ERROR]: training.distillation.teacher '/nonexistent/teacher': no such file or folder");
  });
});
