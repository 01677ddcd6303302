/**
 * Turns parsed filters and order-bys into SQL over MLflow's tables. Only fixed column and table names
 * from the maps below appear in the SQL text; every user value (keys included) is a bound parameter.
 */
import { invalidParameter } from '../errors.js';
import type { ViewType } from '../types.js';
import { type Clause, type Comparator, EXPERIMENT_FILTER_SCHEMA, type OrderBy, parseFilter, parseOrderBy, REGISTERED_MODEL_FILTER_SCHEMA } from './filter.js';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const RUN_COLUMNS: Record<string, string> = {
  run_id: 'run_uuid',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage',
  start_time: 'start_time',
  end_time: 'end_time',
};

const SIMPLE_OPS: Partial<Record<Comparator, string>> = { '=': '=', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=', LIKE: 'LIKE' };

/** `<column> <op> ?` for one comparator; `column` comes from a fixed map, never from the user. */
function compare(column: string, comparator: Comparator, value: Clause['value']): SqlFragment {
  if (comparator === 'ILIKE') return { sql: `LOWER(${column}) LIKE LOWER(?)`, params: [value] };
  if (comparator === 'IN' || comparator === 'NOT IN') {
    const list = value as string[];
    return { sql: `${column} ${comparator} (${list.map(() => '?').join(', ')})`, params: list };
  }
  const op = SIMPLE_OPS[comparator];
  if (!op) throw invalidParameter(`comparator '${comparator}' is not supported here`);
  return { sql: `${column} ${op} ?`, params: [value] };
}

const stagesFor = (viewType: ViewType | undefined): string[] => {
  if (viewType === undefined || viewType === 'ACTIVE_ONLY') return ['active'];
  if (viewType === 'DELETED_ONLY') return ['deleted'];
  if (viewType === 'ALL') return ['active', 'deleted'];
  throw invalidParameter(`Invalid view type '${String(viewType)}': expected ACTIVE_ONLY, DELETED_ONLY or ALL`);
};

function runClause(clause: Clause): SqlFragment {
  const { type, key, comparator, value } = clause;
  switch (type) {
    case 'attribute':
      return compare(`r.${RUN_COLUMNS[key]}`, comparator, value);
    case 'metric': {
      const c = compare('m.value', comparator, value);
      return { sql: `EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m."key" = ? AND ${c.sql})`, params: [key, ...c.params] };
    }
    case 'parameter':
    case 'tag': {
      const table = type === 'tag' ? 'tags' : 'params';
      if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
        const not = comparator === 'IS NULL' ? 'NOT ' : '';
        return { sql: `${not}EXISTS (SELECT 1 FROM ${table} e WHERE e.run_uuid = r.run_uuid AND e."key" = ?)`, params: [key] };
      }
      const c = compare('e.value', comparator, value);
      return { sql: `EXISTS (SELECT 1 FROM ${table} e WHERE e.run_uuid = r.run_uuid AND e."key" = ? AND ${c.sql})`, params: [key, ...c.params] };
    }
    case 'dataset': {
      const base =
        "SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = r.run_uuid";
      if (key === 'context') {
        const c = compare('t.value', comparator, value);
        return {
          sql: `EXISTS (${base} AND EXISTS (SELECT 1 FROM input_tags t WHERE t.input_uuid = i.input_uuid AND t.name = 'mlflow.data.context' AND ${c.sql}))`,
          params: c.params,
        };
      }
      const c = compare(key === 'name' ? 'd.name' : 'd.digest', comparator, value);
      return { sql: `EXISTS (${base} AND ${c.sql})`, params: c.params };
    }
  }
}

export interface RunQuery {
  experimentIds: number[];
  filterString?: string;
  viewType?: ViewType;
  orderBy?: string[];
  limit: number;
  offset: number;
}

/** SELECT of matching run ids in MLflow's order, fetching `limit` rows from `offset`. */
export function buildRunSearch(query: RunQuery): SqlFragment {
  const clauses = parseFilter(query.filterString);
  const joins: string[] = [];
  const joinParams: unknown[] = [];
  const orderTerms: string[] = [];
  const seen = new Set<string>();
  let orderedByStartTime = false;
  (query.orderBy ?? []).forEach((text, index) => {
    const order: OrderBy = parseOrderBy(text);
    const id = `${order.type}:${order.key}`;
    if (seen.has(id)) throw invalidParameter(`\`order_by\` contains duplicate fields: ${JSON.stringify(query.orderBy)}`);
    seen.add(id);
    const dir = order.ascending ? 'ASC' : 'DESC';
    if (order.type === 'attribute') {
      const column = `r.${RUN_COLUMNS[order.key]}`;
      if (order.key === 'start_time') orderedByStartTime = true;
      orderTerms.push(`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END`, `${column} ${dir}`);
      return;
    }
    const alias = `o${index}`;
    const table = order.type === 'metric' ? 'latest_metrics' : order.type === 'tag' ? 'tags' : 'params';
    joins.push(`LEFT JOIN ${table} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${alias}."key" = ?`);
    joinParams.push(order.key);
    // Missing values sort last whatever the direction, NaN metrics just before them (MLflow's rule).
    orderTerms.push(
      order.type === 'metric'
        ? `CASE WHEN ${alias}.is_nan = 1 THEN 1 WHEN ${alias}.value IS NULL THEN 2 ELSE 0 END`
        : `CASE WHEN ${alias}.value IS NULL THEN 1 ELSE 0 END`,
      `${alias}.value ${dir}`,
    );
  });
  if (!orderedByStartTime) orderTerms.push('r.start_time DESC');
  orderTerms.push('r.run_uuid ASC');

  const where: string[] = [];
  const whereParams: unknown[] = [];
  const stages = stagesFor(query.viewType);
  where.push(`r.experiment_id IN (${query.experimentIds.map(() => '?').join(', ') || 'NULL'})`);
  whereParams.push(...query.experimentIds);
  where.push(`r.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`);
  whereParams.push(...stages);
  for (const clause of clauses) {
    const c = runClause(clause);
    where.push(c.sql);
    whereParams.push(...c.params);
  }
  return {
    sql: `SELECT r.run_uuid AS run_uuid FROM runs r ${joins.join(' ')} WHERE ${where.join(' AND ')} ORDER BY ${orderTerms.join(', ')} LIMIT ? OFFSET ?`,
    params: [...joinParams, ...whereParams, query.limit, query.offset],
  };
}

const EXPERIMENT_COLUMNS: Record<string, string> = {
  name: 'x.name',
  experiment_id: 'x.experiment_id',
  creation_time: 'x.creation_time',
  last_update_time: 'x.last_update_time',
};

export interface ExperimentQuery {
  filterString?: string;
  viewType?: ViewType;
  orderBy?: string[];
  limit: number;
  offset: number;
}

export function buildExperimentSearch(query: ExperimentQuery): SqlFragment {
  const where: string[] = [];
  const params: unknown[] = [];
  const stages = stagesFor(query.viewType);
  where.push(`x.lifecycle_stage IN (${stages.map(() => '?').join(', ')})`);
  params.push(...stages);
  for (const clause of parseFilter(query.filterString, EXPERIMENT_FILTER_SCHEMA)) {
    if (clause.type === 'tag') {
      const c = compare('t.value', clause.comparator, clause.value);
      where.push(`EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = x.experiment_id AND t."key" = ? AND ${c.sql})`);
      params.push(clause.key, ...c.params);
    } else {
      const value = clause.key === 'experiment_id' && typeof clause.value === 'string' ? Number(clause.value) : clause.value;
      const c = compare(EXPERIMENT_COLUMNS[clause.key], clause.comparator, value);
      where.push(c.sql);
      params.push(...c.params);
    }
  }
  const order: string[] = [];
  let hasId = false;
  // MLflow's default order, tie-breaker included: newest first, then the lower id.
  const orderBy = query.orderBy?.length ? query.orderBy : ['creation_time DESC', 'experiment_id ASC'];
  for (const text of orderBy) {
    const o = parseOrderBy(text, EXPERIMENT_FILTER_SCHEMA);
    if (o.type !== 'attribute') throw invalidParameter(`Invalid order_by entity '${o.type}' for experiments: only attributes can be ordered`);
    if (o.key === 'experiment_id') hasId = true;
    order.push(`${EXPERIMENT_COLUMNS[o.key]} ${o.ascending ? 'ASC' : 'DESC'}`);
  }
  if (!hasId) order.push('x.experiment_id DESC');
  return {
    sql: `SELECT x.experiment_id AS experiment_id FROM experiments x WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
    params: [...params, query.limit, query.offset],
  };
}

const MODEL_COLUMNS: Record<string, string> = {
  name: 'rm.name',
  creation_timestamp: 'rm.creation_time',
  last_updated_timestamp: 'rm.last_updated_time',
};

export function buildRegisteredModelSearch(query: { filterString?: string; orderBy?: string[]; limit: number; offset: number }): SqlFragment {
  const where: string[] = ["rm.workspace = 'default'"];
  const params: unknown[] = [];
  for (const clause of parseFilter(query.filterString, REGISTERED_MODEL_FILTER_SCHEMA)) {
    if (clause.type === 'tag') {
      const c = compare('t.value', clause.comparator, clause.value);
      where.push(`EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.workspace = rm.workspace AND t.name = rm.name AND t."key" = ? AND ${c.sql})`);
      params.push(clause.key, ...c.params);
    } else {
      const c = compare(MODEL_COLUMNS[clause.key], clause.comparator, clause.value);
      where.push(c.sql);
      params.push(...c.params);
    }
  }
  const order: string[] = [];
  let hasName = false;
  for (const text of query.orderBy ?? []) {
    const o = parseOrderBy(text, REGISTERED_MODEL_FILTER_SCHEMA);
    if (o.type !== 'attribute') throw invalidParameter('Invalid order_by for registered models: only attributes can be ordered');
    if (o.key === 'name') hasName = true;
    order.push(`${MODEL_COLUMNS[o.key]} ${o.ascending ? 'ASC' : 'DESC'}`);
  }
  if (!hasName) order.push('rm.name ASC');
  return {
    sql: `SELECT rm.name AS name FROM registered_models rm WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ? OFFSET ?`,
    params: [...params, query.limit, query.offset],
  };
}

/** MLflow's page token: base64 of `{"offset": n}`, so tokens work across both backends' SQL stores. */
export function createPageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function parsePageToken(token: string | undefined): number {
  if (!token) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalidParameter(`Invalid page token '${token}': expected the nextPageToken of an earlier search`);
  }
  const offset = (parsed as { offset?: unknown })?.offset;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw invalidParameter(`Invalid page token '${token}': no valid offset inside`);
  }
  return offset;
}
