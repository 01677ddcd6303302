/**
 * The shapes the dashboard's JSON API sends that the server (queries.ts) and the browser app (web/api.ts)
 * both type: one declaration, imported as types only, so the browser bundle pulls in no server code.
 */

/** A run as the runs table needs it: info, latest metrics, params and the few tags the table shows. */
export interface RunRow {
  runId: string;
  runName: string;
  experimentId: string;
  status: string;
  startTime: number;
  endTime: number | null;
  parentRunId: string | null;
  metrics: Record<string, number>;
  params: Record<string, string>;
}

/** A metric history as parallel columns (compact JSON, and the shape uPlot wants). */
export interface Series {
  step: number[];
  time: number[];
  value: (number | null)[];
}
