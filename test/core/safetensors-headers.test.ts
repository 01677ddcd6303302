/**
 * Crafted safetensors headers through mx.loadSafetensors (MLX's reader behind the header check of
 * src/core/safetensors-check.ts). Before the check, dimensions past int32 loaded as the wrong shape
 * ([2^32, 2^32] as [0, 0], [2^32 + 1] as [1]) and negative dimensions were kept: silent acceptances.
 * Every case must be refused with MLX_* code and a message naming the file and the tensor; a valid
 * file built the same way must still load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, MlxError } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-st-headers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(header: unknown, data = Buffer.alloc(16)): Buffer {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}
const tensor = (shape: unknown, offsets: unknown = [0, 16], dtype = 'F32') => ({ a: { dtype, shape, data_offsets: offsets } });
const headerLen = (n: bigint) => {
  const b = file(tensor([4]));
  b.writeBigUInt64LE(n);
  return b;
};

const CASES: [string, Buffer, RegExp][] = [
  ['dimension 2^32 (loaded as 0 before)', file(tensor([4294967296, 4294967296], [0, 0], 'U8'), Buffer.alloc(0)), /tensor 'a' has shape \[4294967296,4294967296\]: dimensions must be integers from 0 to 2147483647/],
  ['dimension 2^32 + 1 (loaded as 1 before)', file(tensor([4294967297], [0, 1], 'U8'), Buffer.alloc(1)), /tensor 'a' has shape \[4294967297\]/],
  ['negative dimensions (kept before)', file(tensor([-1, -4], [0, 4], 'U8'), Buffer.alloc(4)), /tensor 'a' has shape \[-1,-4\]/],
  ['fractional dimension', file(tensor([2.5])), /tensor 'a' has shape \[2.5\]/],
  ['size overflowing 64 bits', file(tensor([65536, 65536, 65536, 65536], [0, 0]), Buffer.alloc(0)), /tensor 'a' \(F32 \[65536,65536,65536,65536\]\) needs 73786976294838206464 bytes but its data_offsets span 0/],
  ['shape larger than its bytes', file(tensor([1000])), /needs 4000 bytes but its data_offsets span 16/],
  ['offsets past the end of the file', file(tensor([400], [0, 1600])), /ends at data byte 1600 but the file holds only 16 data bytes/],
  ['negative offsets', file(tensor([4], [-16, 0])), /data_offsets \[-16,0\]: expected \[begin, end\]/],
  ['reversed offsets', file(tensor([4], [16, 0])), /data_offsets \[16,0\]/],
  ['offsets not a pair', file(tensor([4], [0])), /data_offsets \[0\]/],
  ['missing offsets', file({ a: { dtype: 'F32', shape: [4] } }), /data_offsets/],
  ['shape a string', file(tensor('x')), /type must be array, but is string/],
  ['shape nested', file(tensor([[4]])), /tensor 'a' has shape \[\[4\]\]/],
  ['unknown dtype', file(tensor([4], [0, 16], 'Q99')), /Q99/],
  ['metadata value not a string', file({ __metadata__: { a: 1 }, ...tensor([4]) }), /type must be string, but is number/],
  ['header length 2^62', headerLen(2n ** 62n), /json header length/i],
  ['header length past the file', headerLen(1000n), /json header length|header/i],
  ['header not JSON', file('{"a": {"dtype": nope!!}}'), /parse error|json/i],
  ['empty file', Buffer.alloc(0), /./],
];

describe('crafted safetensors headers', () => {
  for (const [label, bytes, pattern] of CASES) {
    it(label, () => {
      const path = join(dir, `${label.replace(/\W+/g, '-')}.safetensors`);
      writeFileSync(path, bytes);
      let err: (Error & { code?: string }) | undefined;
      try {
        mx.tidy(() => {
          const f = mx.loadSafetensors(path);
          mx.eval(Object.values(f.arrays));
          return undefined;
        });
      } catch (e) {
        err = e as Error;
      }
      expect(err, `${label} was accepted`).toBeInstanceOf(MlxError);
      expect(err!.code).toMatch(/^MLX_/);
      expect(err!.message).toContain(`cannot read '${path}'`);
      expect(err!.message).toMatch(pattern);
    });
  }

  it('a valid file written the same way loads (the check refuses only bad headers)', () => {
    const path = join(dir, 'valid.safetensors');
    const data = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    writeFileSync(path, file({ __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] }, e: { dtype: 'U8', shape: [0, 2147483647], data_offsets: [24, 24] } }, data));
    const f = mx.loadSafetensors(path);
    expect(f.arrays.a.toList()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(f.arrays.e.shape).toEqual([0, 2147483647]);
    expect(f.metadata).toEqual({ k: 'v' });
  });
});
