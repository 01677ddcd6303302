"""Reads one run back with MLflow's own client and prints it as JSON (for the REST interop test).

Usage: d2_dump_run.py, then one request per stdin line: `<tracking_uri> <run_id>`; one JSON line back
per request ({"error": ...} on failure). One long-lived process, so mlflow is imported once per test file.
Non-finite floats are printed as the strings "NaN", "Infinity", "-Infinity" (JSON has no NaN).
"""
import json
import math
import sys

from mlflow.tracking import MlflowClient


def num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def walk(client, run_id, path=None):
    out = []
    for f in client.list_artifacts(run_id, path):
        out.append({"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size})
        if f.is_dir:
            out.extend(walk(client, run_id, f.path))
    return out


def dump(uri, run_id):
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    exp = client.get_experiment(run.info.experiment_id)
    history = {
        key: [[m.step, m.timestamp, num(m.value)] for m in client.get_metric_history(run_id, key)]
        for key in run.data.metrics
    }
    return {
        "experiment": {"id": exp.experiment_id, "name": exp.name, "tags": exp.tags,
                       "lifecycle_stage": exp.lifecycle_stage},
        "info": {"run_id": run.info.run_id, "run_name": run.info.run_name, "status": run.info.status,
                 "start_time": run.info.start_time, "end_time": run.info.end_time,
                 "user_id": run.info.user_id, "artifact_uri": run.info.artifact_uri,
                 "experiment_id": run.info.experiment_id, "lifecycle_stage": run.info.lifecycle_stage},
        "params": run.data.params,
        "tags": run.data.tags,
        "metrics": {k: num(v) for k, v in run.data.metrics.items()},
        "history": history,
        "artifacts": walk(client, run_id) if uri.startswith("http") else [],
        "inputs": [{"name": d.dataset.name, "digest": d.dataset.digest,
                    "tags": {t.key: t.value for t in d.tags}} for d in run.inputs.dataset_inputs],
    }


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        uri, run_id = line.split()
        try:
            out = dump(uri, run_id)
        except Exception as exc:  # reported to the test, which fails with the message
            out = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
