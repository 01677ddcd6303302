// How a large log-batch is cut into requests within MLflow's per-request limits.
import { describe, expect, it } from 'vitest';
import { MAX_ENTITIES_PER_BATCH, MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH, splitBatch } from '../../src/tracking/rest/batch.js';

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('splitBatch', () => {
  it("uses MLflow's limits", () => {
    expect([MAX_METRICS_PER_BATCH, MAX_PARAMS_PER_BATCH, MAX_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH]).toEqual([1000, 100, 100, 1000]);
  });

  it('keeps a small batch in one request', () => {
    expect(splitBatch(range(5, 'm'), range(2, 'p'), range(1, 't'))).toEqual([{ metrics: range(5, 'm'), params: range(2, 'p'), tags: range(1, 't') }]);
  });

  it('sends nothing for an empty batch', () => {
    expect(splitBatch([], [], [])).toEqual([]);
  });

  it('cuts 2500 metrics, 150 params and 120 tags into requests within every limit, in order, losing nothing', () => {
    const metrics = range(2500, 'm');
    const params = range(150, 'p');
    const tags = range(120, 't');
    const chunks = splitBatch(metrics, params, tags);
    for (const c of chunks) {
      expect(c.metrics.length).toBeLessThanOrEqual(1000);
      expect(c.params.length).toBeLessThanOrEqual(100);
      expect(c.tags.length).toBeLessThanOrEqual(100);
      expect(c.metrics.length + c.params.length + c.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.metrics)).toEqual(metrics);
    expect(chunks.flatMap((c) => c.params)).toEqual(params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(tags);
    // Params go out first, so a conflicting param fails before metrics are written.
    expect(chunks[0].params).toHaveLength(100);
    expect(chunks).toHaveLength(3);
  });

  it('fills the first request up to 1000 entities in total', () => {
    const [first] = splitBatch(range(1000, 'm'), range(100, 'p'), range(100, 't'));
    expect(first.params).toHaveLength(100);
    expect(first.tags).toHaveLength(100);
    expect(first.metrics).toHaveLength(800);
  });
});
