"""Turns MLflow entities into JSON shaped like mlx-train's tracking types (camelCase), so the TS tests can
compare what the real MlflowClient sees with what our store returns. NaN/Inf become strings."""
import json
import math
import os
import sqlite3


def num(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    return v


def experiment(e):
    return {
        "experimentId": e.experiment_id,
        "name": e.name,
        "artifactLocation": e.artifact_location,
        "lifecycleStage": e.lifecycle_stage,
        "tags": dict(e.tags),
        "creationTime": e.creation_time,
        "lastUpdateTime": e.last_update_time,
    }


def dataset_input(di):
    d = di.dataset
    out = {"name": d.name, "digest": d.digest, "sourceType": d.source_type, "source": d.source}
    if d.schema is not None:
        out["schema"] = d.schema
    if d.profile is not None:
        out["profile"] = d.profile
    return {"dataset": out, "tags": [{"key": t.key, "value": t.value} for t in di.tags]}


def run(r):
    i = r.info
    return {
        "info": {
            "runId": i.run_id,
            "runName": i.run_name,
            "experimentId": i.experiment_id,
            "userId": i.user_id,
            "status": i.status,
            "startTime": i.start_time,
            "endTime": i.end_time,
            "artifactUri": i.artifact_uri,
            "lifecycleStage": i.lifecycle_stage,
        },
        "data": {
            "metrics": {k: num(v) for k, v in r.data.metrics.items()},
            "params": dict(r.data.params),
            "tags": dict(r.data.tags),
        },
        "inputs": {"datasetInputs": [dataset_input(d) for d in r.inputs.dataset_inputs]},
    }


def metric(m):
    return {"key": m.key, "value": num(m.value), "timestamp": m.timestamp, "step": m.step}


def model_version(v):
    return {
        "name": v.name,
        "version": str(v.version),
        "creationTimestamp": v.creation_timestamp,
        "lastUpdatedTimestamp": v.last_updated_timestamp,
        "description": v.description or "",
        "userId": v.user_id or "",
        "currentStage": v.current_stage,
        "source": v.source,
        "runId": v.run_id,
        "status": v.status,
        "statusMessage": v.status_message,
        "runLink": v.run_link or None,
        "tags": dict(v.tags),
        "aliases": sorted(v.aliases),
    }


def registered_model(m):
    return {
        "name": m.name,
        "creationTimestamp": m.creation_timestamp,
        "lastUpdatedTimestamp": m.last_updated_timestamp,
        "description": m.description or "",
        "latestVersions": [model_version(v) for v in sorted(m.latest_versions, key=lambda v: int(v.version))],
        "tags": dict(m.tags),
        "aliases": {k: str(v) for k, v in m.aliases.items()},
    }


def artifacts(client, run_id, path=None):
    """Every artifact file below path: {path: {size, text}} (text for small files)."""
    out = {}
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.update(artifacts(client, run_id, f.path))
        else:
            local = client.download_artifacts(run_id, f.path)
            with open(local, "rb") as fh:
                data = fh.read()
            out[f.path] = {"size": f.file_size, "text": data.decode("utf-8", "replace")}
    return out


def schema(db_path):
    con = sqlite3.connect(db_path)
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    rev = con.execute("SELECT version_num FROM alembic_version").fetchall()
    con.close()
    return {"objects": [list(r) for r in rows], "revision": [r[0] for r in rev]}


def emit(obj):
    print("@@JSON@@" + json.dumps(obj))
