"""Reads a SQLite store written by mlx-train with the real MlflowClient and prints what MLflow sees.

Usage: python read_store.py request.json   (request fields: see test/tracking/mlflow-interop.test.ts)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlflow_dump as dump  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from mlflow.utils.search_utils import SearchUtils  # noqa: E402

VIEW = {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY, "ALL": ViewType.ALL}


def attempt(fn):
    try:
        return {"ok": fn()}
    except Exception as e:  # noqa: BLE001 - the error text is what the test compares
        return {"error": str(e)}


def main():
    req = json.load(open(sys.argv[1]))
    db = req["db"]
    uri = f"sqlite:///{db}"
    before = dump.schema(db)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    out = {"schemaBefore": before}
    out["experiments"] = {i: dump.experiment(client.get_experiment(i)) for i in req.get("experiments", [])}
    out["runs"] = {i: dump.run(client.get_run(i)) for i in req.get("runs", [])}
    out["histories"] = {
        f"{r}/{k}": [dump.metric(m) for m in client.get_metric_history(r, k)] for r, k in req.get("histories", [])
    }
    out["artifacts"] = {r: dump.artifacts(client, r) for r in req.get("artifactRuns", [])}
    out["models"] = {n: dump.registered_model(client.get_registered_model(n)) for n in req.get("models", [])}
    out["versions"] = {f"{n}/{v}": dump.model_version(client.get_model_version(n, v)) for n, v in req.get("versions", [])}
    out["aliases"] = {
        f"{n}/{a}": dump.model_version(client.get_model_version_by_alias(n, a)) for n, a in req.get("aliases", [])
    }

    def search_all(s):
        pages, token = [], None
        while True:
            res = client.search_runs(
                s["experimentIds"],
                filter_string=s.get("filter", ""),
                run_view_type=VIEW[s.get("viewType", "ACTIVE_ONLY")],
                max_results=s.get("maxResults", 1000),
                order_by=s.get("orderBy"),
                page_token=token,
            )
            pages.append([r.info.run_id for r in res])
            token = res.token
            if not token:
                return pages

    out["searches"] = [attempt(lambda s=s: search_all(s)) for s in req.get("searches", [])]
    out["experimentSearches"] = [
        attempt(
            lambda s=s: [
                e.experiment_id
                for e in client.search_experiments(
                    view_type=VIEW[s.get("viewType", "ACTIVE_ONLY")], filter_string=s.get("filter"), order_by=s.get("orderBy")
                )
            ]
        )
        for s in req.get("experimentSearches", [])
    ]
    out["modelSearches"] = [
        attempt(lambda s=s: [m.name for m in client.search_registered_models(filter_string=s.get("filter"), order_by=s.get("orderBy"))])
        for s in req.get("modelSearches", [])
    ]

    def parsed(f):
        return [
            {**c, "value": list(c["value"]) if isinstance(c["value"], (tuple, list)) else c["value"]}
            for c in SearchUtils.parse_search_filter(f)
        ]

    out["filters"] = [attempt(lambda f=f: parsed(f)) for f in req.get("filters", [])]
    out["schemaAfter"] = dump.schema(db)
    # Calls that must fail: MLflow's own error text, compared word for word with ours.
    from mlflow.entities import Metric, Param, RunTag

    ops = {
        "log_param": lambda r, k, v: client.log_param(r, k, v),
        "log_metric": lambda r, k, v: client.log_metric(r, k, v),
        "set_tag": lambda r, k, v: client.set_tag(r, k, v),
        "log_batch_params": lambda r, pairs: client.log_batch(r, params=[Param(k, v) for k, v in pairs]),
        "get_run": lambda r: client.get_run(r),
        "delete_tag": lambda r, k: client.delete_tag(r, k),
        "get_experiment": lambda e: client.get_experiment(e),
        "create_experiment": lambda n: client.create_experiment(n),
        "get_registered_model": lambda n: client.get_registered_model(n),
    }
    out["errors"] = [attempt(lambda op=op: ops[op[0]](*op[1:])) for op in req.get("errors", [])]
    dump.emit(out)


if __name__ == "__main__":
    main()
