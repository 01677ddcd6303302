import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';

describe('devices on the CPU-only build', () => {
  it('the default device is the CPU; the GPU is not available', () => {
    expect(mx.defaultDevice()).toEqual({ type: 'cpu', index: 0 });
    expect(mx.isAvailable('cpu')).toBe(true);
    expect(mx.isAvailable(mx.gpu)).toBe(false);
    expect(mx.deviceCount('cpu')).toBe(1);
    expect(mx.deviceCount('gpu')).toBe(0);
    expect(typeof mx.deviceInfo().architecture).toBe('string');
  });

  it('setDefaultDevice accepts the CPU and rejects the GPU with MLX’s own message', () => {
    mx.setDefaultDevice('cpu');
    mx.setDefaultDevice(mx.cpu);
    let err: (Error & { code?: string }) | undefined;
    try {
      mx.setDefaultDevice('gpu');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/setDefaultDevice: .*without gpu backend/);
    expect(err?.code).toBe('MLX_INVALID_ARGUMENT');
    expect(mx.defaultDevice().type).toBe('cpu');
  });
});

describe('streams', () => {
  it('newStream makes a distinct CPU stream that ops can run on', () => {
    const main = mx.defaultStream('cpu');
    const s = mx.newStream('cpu');
    expect(s.device).toBe('cpu');
    expect(s.index).not.toBe(main.index);
    const out = mx.tidy(() => {
      const y = mx.add(mx.array([1, 2, 3]), mx.array([10, 20, 30]), s);
      void mx.asyncEval(y);
      mx.synchronize(s);
      return y.toList();
    });
    expect(out).toEqual([11, 22, 33]);
    mx.synchronize();
  });

  it('setDefaultStream changes the default stream of the thread', () => {
    const main = mx.defaultStream();
    const s = mx.newStream(mx.cpu);
    mx.setDefaultStream(s);
    try {
      expect(mx.defaultStream('cpu')).toEqual(s);
      expect(mx.tidy(() => mx.multiply(mx.array([2, 3]), 4).toList())).toEqual([8, 12]);
    } finally {
      mx.setDefaultStream(main);
    }
    expect(mx.defaultStream()).toEqual(main);
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['a GPU stream', () => mx.newStream('gpu'), /newStream: .*without gpu backend/],
    ['an op on the GPU', () => mx.add(mx.ones([2]), mx.ones([2]), 'gpu'), /gpu stream without gpu backend/],
    ['an unknown device name', () => mx.newStream('tpu' as 'cpu'), /expected 'cpu', 'gpu' or a \{type, index\} device for newStream device/],
    ['synchronize on an unknown stream', () => mx.synchronize({ index: 999, device: 'cpu', deviceIndex: 0 }), /unknown stream 999 on cpu/],
    ['setDefaultStream with a non-stream', () => mx.setDefaultStream({} as mx.Stream), /expected a stream \{index, device\} for setDefaultStream stream/],
    ['an op on an unknown stream', () => mx.eval(mx.add(mx.ones([2]), mx.ones([2]), { index: 999, device: 'cpu' })), /no Stream\(cpu, 999\)/],
  ];
  for (const [label, call, message] of bad) {
    it(`bad call: ${label}`, () => expect(call).toThrow(message));
  }
});
