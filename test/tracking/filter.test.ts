// The search filter parser on its own: AST shapes and error positions. (Agreement with MLflow's own
// parser on the same strings is checked in mlflow-interop.test.ts.)
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_FILTER_SCHEMA, parseFilter, parseOrderBy } from '../../src/tracking/search/filter.js';
import { buildRunSearch } from '../../src/tracking/search/sql.js';

describe('parseFilter', () => {
  it('parses every identifier form, comparator and value kind', () => {
    expect(parseFilter("metric.`val loss` <= -1.5e-3 AND param.lr != '0.1' and tag.\"a b\" ILIKE \"x%\" AND run.status IN ('FAILED', 'KILLED')")).toEqual([
      { type: 'metric', key: 'val loss', comparator: '<=', value: -0.0015, position: 0 },
      { type: 'parameter', key: 'lr', comparator: '!=', value: '0.1', position: 33 },
      { type: 'tag', key: 'a b', comparator: 'ILIKE', value: 'x%', position: 55 },
      { type: 'attribute', key: 'status', comparator: 'IN', value: ['FAILED', 'KILLED'], position: 80 },
    ]);
    expect(parseFilter('created > 5')).toEqual([{ type: 'attribute', key: 'start_time', comparator: '>', value: 5, position: 0 }]);
    expect(parseFilter("tags.mlflow.source.git.commit = 'abc'")[0].key).toBe('mlflow.source.git.commit');
    expect(parseFilter("tags.x = 'it''s'")[0].value).toBe("it's");
    expect(parseFilter('  ')).toEqual([]);
  });

  it('errors name the position and the offending token', () => {
    const cases: [string, RegExp][] = [
      ['metrics.a > 1 OR metrics.b < 2', /'OR' is not supported.*position 14/],
      ["metrics.a = 'x'", /expected a number for metric 'a'.*position 12/],
      ['params.p = 3', /expected a quoted string for parameter 'p'.*position 11/],
      ["foo.bar = 'x'", /invalid entity type 'foo'.*position 0/],
      ["attributes.colour = 'red'", /invalid attribute key 'colour'/],
      ['metrics.a LIKE 1', /comparator 'LIKE' is not valid for metric/],
      ["params.p IN ('a')", /comparator 'IN' is not valid for parameter/],
      ['metrics.a >', /expected a number .*end of input/],
      ["run_id IN ('a' 'b')", /expected ',' or '\)'.*position 15/],
      ['metrics.a == 1', /invalid comparator '=='/],
      ["metrics.a > 1 metrics.b > 2", /expected AND, found 'metrics'.*position 14/],
      ['metrics.a > 1 ; DROP TABLE runs', /unexpected character ';'.*position 14/],
    ];
    for (const [filter, pattern] of cases) expect(() => parseFilter(filter), filter).toThrow(pattern);
  });

  it('experiment filters allow only experiment attributes and tags', () => {
    expect(parseFilter("name LIKE 'a%' AND tags.t = 'x'", EXPERIMENT_FILTER_SCHEMA)).toHaveLength(2);
    expect(() => parseFilter('metrics.a > 1', EXPERIMENT_FILTER_SCHEMA)).toThrow(/invalid entity type 'metrics'/);
  });
});

describe('parseOrderBy and SQL building', () => {
  it('parses directions and rejects junk', () => {
    expect(parseOrderBy('metrics.`val acc` DESC')).toEqual({ type: 'metric', key: 'val acc', ascending: false });
    expect(parseOrderBy('start_time')).toEqual({ type: 'attribute', key: 'start_time', ascending: true });
    expect(() => parseOrderBy('metrics.a sideways')).toThrow(/expected ASC or DESC/);
    expect(() => parseOrderBy('datasets.name')).toThrow(/cannot order by a dataset/);
  });

  it('keeps every user value out of the SQL text', () => {
    const key = "x' OR 1=1 --";
    const { sql, params } = buildRunSearch({
      experimentIds: [1],
      filterString: `params.\`${key}\` = 'v''; DROP TABLE runs' AND metrics.m > 2`,
      orderBy: ['tags.`evil"; --` DESC'],
      limit: 10,
      offset: 0,
    });
    expect(sql).not.toContain('OR 1=1');
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('evil');
    expect(params).toEqual(['evil"; --', 1, 'active', key, "v'; DROP TABLE runs", 'm', 2, 10, 0]);
  });
});
