"""Writes a SQLite store with the real MlflowClient (what a Python user would log) and prints the ids it
created plus MLflow's own view of every entity, for mlx-train to read back and compare.

Usage: python write_store.py <dir>     (creates <dir>/mlflow.db and artifacts under <dir>/artifacts)
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlflow_dump as dump  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402
from mlflow.entities.dataset import Dataset  # noqa: E402
from mlflow.entities.dataset_input import DatasetInput  # noqa: E402
from mlflow.entities.input_tag import InputTag  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def main():
    root = sys.argv[1]
    os.chdir(root)
    uri = f"sqlite:///{os.path.join(root, 'mlflow.db')}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("py-exp", artifact_location=os.path.join(root, "artifacts", "py-exp"), tags={"team": "nlp"})
    client.set_experiment_tag(exp, "mlflow.note.content", "written by MLflow")
    parent = client.create_run(exp, run_name="py-parent", tags={"mlflow.user": "alice", "stage": "train"}, start_time=1_700_000_000_000)
    pid = parent.info.run_id
    child = client.create_run(exp, tags={"mlflow.parentRunId": pid, "mlflow.user": "bob"}, start_time=1_700_000_000_500)
    cid = child.info.run_id
    client.log_param(pid, "lr", "0.001")
    client.log_param(pid, "batch size", 32)
    for step, v in enumerate([0.9, float("nan"), float("inf"), -float("inf"), 0.25]):
        client.log_metric(pid, "loss", v, timestamp=1_700_000_001_000 + step, step=step)
    client.log_metric(pid, "acc", 0.5, timestamp=1_700_000_002_000, step=3)
    client.log_metric(pid, "acc", 0.7, timestamp=1_700_000_001_000, step=3)  # same step, older timestamp
    client.log_batch(
        cid,
        metrics=[Metric("val/loss", 0.3, 1_700_000_003_000, 1), Metric("val/loss", 0.2, 1_700_000_003_001, 2)],
        params=[Param("optimizer", "adamw")],
        tags=[RunTag("mlflow.note.content", "child run")],
    )
    ds = Dataset(name="sst2", digest="abc123", source_type="local", source=json.dumps({"uri": "file:///data/sst2.csv"}),
                 schema=json.dumps({"mlflow_colspec": [{"type": "string", "name": "text"}]}), profile=json.dumps({"num_rows": 10}))
    client.log_inputs(pid, [DatasetInput(ds, tags=[InputTag("mlflow.data.context", "training")])])
    art = os.path.join(root, "to-log")
    os.makedirs(os.path.join(art, "sub"), exist_ok=True)
    with open(os.path.join(art, "config.yaml"), "w") as f:
        f.write("lr: 0.001\n")
    with open(os.path.join(art, "sub", "notes.txt"), "w") as f:
        f.write("hello from python\n")
    client.log_artifact(pid, os.path.join(art, "config.yaml"))
    client.log_artifacts(pid, art, "bundle")
    client.set_terminated(pid, "FINISHED", end_time=1_700_000_009_000)
    client.set_terminated(cid, "FAILED", end_time=1_700_000_009_500)
    deleted = client.create_run(exp, run_name="gone")
    client.delete_run(deleted.info.run_id)
    client.create_registered_model("py-model", tags={"owner": "alice"}, description="from python")
    client.create_model_version("py-model", f"runs:/{pid}/model", run_id=pid, tags={"fold": "1"})
    client.create_model_version("py-model", f"runs:/{cid}/model", run_id=cid)
    client.set_registered_model_alias("py-model", "champion", "1")
    client.set_model_version_tag("py-model", "2", "validated", "yes")
    dump.emit({
        "experimentId": exp,
        "runIds": [pid, cid, deleted.info.run_id],
        "experiment": dump.experiment(client.get_experiment(exp)),
        "defaultExperiment": dump.experiment(client.get_experiment("0")),
        "runs": {r: dump.run(client.get_run(r)) for r in [pid, cid, deleted.info.run_id]},
        "histories": {
            f"{pid}/loss": [dump.metric(m) for m in client.get_metric_history(pid, "loss")],
            f"{pid}/acc": [dump.metric(m) for m in client.get_metric_history(pid, "acc")],
            f"{cid}/val/loss": [dump.metric(m) for m in client.get_metric_history(cid, "val/loss")],
        },
        "artifacts": dump.artifacts(client, pid),
        "model": dump.registered_model(client.get_registered_model("py-model")),
        "versions": {v: dump.model_version(client.get_model_version("py-model", v)) for v in ["1", "2"]},
        "champion": dump.model_version(client.get_model_version_by_alias("py-model", "champion")),
    })


if __name__ == "__main__":
    main()
