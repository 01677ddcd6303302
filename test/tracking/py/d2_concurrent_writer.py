"""One MLflow writer for the concurrency test: logs N metrics to an existing run in batches.

Usage: d2_concurrent_writer.py <sqlite_path> <run_id> <metric_key> <count> <batch_size>
Prints "ready" once the client is open, waits for a line on stdin (so every writer starts together),
then prints one JSON line {"logged": count, "start": t0, "end": t1} (epoch seconds) when every batch
committed; any exception exits non-zero.
"""
import json
import sys
import time

from mlflow.entities import Metric
from mlflow.tracking import MlflowClient


def main():
    path, run_id, key, count, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    client.get_run(run_id)  # opens the store (schema check) before the start signal
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.time()
    ts = int(t0 * 1000)
    for start in range(0, count, batch):
        steps = range(start, min(start + batch, count))
        client.log_batch(run_id, metrics=[Metric(key, float(s) * 0.5, ts, s) for s in steps])
    print(json.dumps({"logged": count, "start": t0, "end": time.time()}), flush=True)


if __name__ == "__main__":
    main()
