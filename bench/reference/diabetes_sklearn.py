"""scikit-learn baselines for bench/diabetes-regression.ts: Ridge, LinearRegression and
GradientBoosting on the raw numeric features of data/diabetes/train.csv, trained and scored on the
same train/validation rows the mlx-train run used (ids in a JSON file: {"train": [...], "validation": [...]}).
Prints one JSON line {model: r2, ...}.
"""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

csv, split_path = sys.argv[1], sys.argv[2]
d = pd.read_csv(csv).set_index("id")
split = json.load(open(split_path))
features = [c for c in d.columns if c != "progression"]
tr, va = d.loc[split["train"]], d.loc[split["validation"]]
models = {
    "Ridge (alpha 1, standardised)": make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
    "LinearRegression": LinearRegression(),
    "GradientBoosting (random_state 0)": GradientBoostingRegressor(random_state=0),
}
out = {}
for name, m in models.items():
    m.fit(tr[features].to_numpy(), tr["progression"].to_numpy())
    p = m.predict(va[features].to_numpy())
    y = va["progression"].to_numpy()
    out[name] = {"r2": r2_score(y, p), "rmse": float(np.sqrt(mean_squared_error(y, p))), "mae": mean_absolute_error(y, p)}
print(json.dumps(out))
