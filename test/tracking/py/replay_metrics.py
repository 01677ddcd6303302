"""Replays a list of metric logging calls through the real MlflowClient into a fresh store, then prints
what MLflow keeps as each key's latest value (raw latest_metrics rows and get_run's view) for that store
and for another store written by mlx-train with the same calls.

Usage: python replay_metrics.py request.json
  request: {"dir": <empty folder for MLflow's store>, "ours": {"db": <mlx-train store>, "runId": <id>},
            "calls": [{"batch": [[key, value, timestamp, step], ...]} | {"metric": [key, value, timestamp, step]}]}
  Values "NaN", "Infinity", "-Infinity" stand for the non-finite floats.
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlflow_dump as dump  # noqa: E402
from mlflow.entities import Metric  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def number(v):
    return float(v) if isinstance(v, str) else v


def latest_rows(db, run_id):
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            'SELECT "key", value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ? ORDER BY "key"', (run_id,)
        ).fetchall()
    return [list(r) for r in rows]


def view(db, run_id):
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    run = client.get_run(run_id)
    return {
        "latestRows": latest_rows(db, run_id),
        "metrics": {k: dump.num(v) for k, v in run.data.metrics.items()},
        "historyLengths": {k: len(client.get_metric_history(run_id, k)) for k in run.data.metrics},
    }


def main():
    req = json.load(open(sys.argv[1]))
    db = os.path.join(req["dir"], "mlflow.db")
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    exp = client.create_experiment("replay", artifact_location=os.path.join(req["dir"], "artifacts"))
    run_id = client.create_run(exp).info.run_id
    for call in req["calls"]:
        if "metric" in call:
            key, value, timestamp, step = call["metric"]
            client.log_metric(run_id, key, number(value), timestamp=timestamp, step=step)
        else:
            client.log_batch(run_id, metrics=[Metric(k, number(v), ts, s) for k, v, ts, s in call["batch"]])
    out = {"mlflow": view(db, run_id), "ours": view(req["ours"]["db"], req["ours"]["runId"])}
    print("@@JSON@@" + json.dumps(out))


if __name__ == "__main__":
    main()
