"""Reference for bench/tracking-log: MLflow's own client logging to a fresh SQLite store.

Prints one JSON line: throughput of per-call `log_metric` and of per-step `log_batch`, each on its own
fresh DB file (store creation and the first run are outside the timed region, as for our store), with
the wall time and the process CPU time of each loop.
Usage: tracking_log.py <work_dir> <steps_batch> <steps_per_call> <metrics_per_step>
(each invocation uses its own new folder under <work_dir> and removes it afterwards)
"""
import json
import os
import shutil
import sys
import tempfile
import time

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


def fresh_run(path):
    os.makedirs(os.path.dirname(path))
    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    exp = client.create_experiment("bench", artifact_location=os.path.dirname(path) + "/artifacts")
    run = client.create_run(exp)
    return client, run.info.run_id


def per_call(path, steps, width):
    client, run_id = fresh_run(path)
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(steps):
        ts = int(time.time() * 1000)
        for k in range(width):
            client.log_metric(run_id, f"m{k}", step * 0.001 + k, timestamp=ts, step=step)
    return time.perf_counter() - t0, time.process_time() - c0


def per_step_batch(path, steps, width):
    client, run_id = fresh_run(path)
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(steps):
        ts = int(time.time() * 1000)
        client.log_batch(run_id, metrics=[Metric(f"m{k}", step * 0.001 + k, ts, step) for k in range(width)])
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    parent, steps_batch, steps_call, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    work = tempfile.mkdtemp(dir=parent)
    try:
        call_s, call_cpu = per_call(os.path.join(work, "call", "mlflow.db"), steps_call, width)
        batch_s, batch_cpu = per_step_batch(os.path.join(work, "batch", "mlflow.db"), steps_batch, width)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "mlflow": mlflow.__version__,
        "perCall": {"steps": steps_call, "metrics": steps_call * width, "seconds": call_s, "cpuSeconds": call_cpu},
        "perStepBatch": {"steps": steps_batch, "metrics": steps_batch * width, "seconds": batch_s, "cpuSeconds": batch_cpu},
    }))


if __name__ == "__main__":
    main()
