/** Optimizers driving nn modules: eager updates and a compiled training step must agree. */
import { expect, test } from 'vitest';
import { mx, nn, optim } from '../../src/index.js';
import { expectMatches } from '../helpers/fixtures.js';

function setup() {
  mx.random.seed(5);
  const model = new nn.Linear(4, 2);
  const x = mx.random.normal([8, 4]);
  const y = mx.random.normal([8, 2]);
  const opt = new optim.AdamW({ learningRate: optim.joinSchedules([optim.linearSchedule(0, 0.05, 2), optim.cosineDecay(0.05, 6)], [2]) });
  const lossFn = () => mx.mean(mx.square(mx.subtract(model.forward(x), y)));
  return { model, opt, vg: nn.valueAndGrad(model, lossFn) };
}

test('a compiled step (model and optimizer state captured) matches eager steps', () => {
  const eager = setup();
  const eagerLosses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const [loss, grads] = eager.vg();
    const [clipped] = optim.clipGradNorm(grads, 1.0);
    eager.opt.update(eager.model, clipped);
    mx.eval(eager.model.parameters(), eager.opt.state);
    eagerLosses.push(Number(loss.item()));
  }

  const comp = setup();
  comp.opt.init(comp.model.trainableParameters());
  const state = [nn.moduleState(comp.model), comp.opt.state];
  const step = mx.compile(() => {
    const [loss, grads] = comp.vg();
    comp.opt.update(comp.model, optim.clipGradNorm(grads, 1.0)[0]);
    return loss;
  }, { inputs: state, outputs: state });
  const losses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const loss = step();
    mx.eval(loss, comp.model.parameters(), comp.opt.state);
    losses.push(Number(loss.item()));
  }
  expect(losses[5]).toBeLessThan(losses[0]);
  losses.forEach((l, i) => expect(l).toBeCloseTo(eagerLosses[i], 5));
  const w = eager.model.parameters() as { weight: mx.Array };
  expectMatches((comp.model.parameters() as { weight: mx.Array }).weight, { dtype: 'float32', shape: w.weight.shape, data: (w.weight.toList() as number[][]).flat() }, { label: 'weight' });
  expect(Number(comp.opt.step.item())).toBe(6);
});
