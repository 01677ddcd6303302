"""Reference for bench/data-pipeline.ts: the same load → template → tokenize with Python's csv module and
Hugging Face `tokenizers` (Rust, multi-threaded encode_batch). Prints one JSON line.
Args: csv_path tokenizer_json max_length"""
import csv
import json
import sys
import time

from tokenizers import Tokenizer

csv_path, tokenizer_path = sys.argv[1], sys.argv[2]
max_length = int(sys.argv[3]) if len(sys.argv) > 3 else 128

t = time.perf_counter()
with open(csv_path, newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    columns = next(reader)
    rows = list(reader)
load_ms = (time.perf_counter() - t) * 1e3

t = time.perf_counter()
features = [i for i, c in enumerate(columns) if c not in ("Survived", "PassengerId")]
texts = [", ".join(f"{columns[i]}: {r[i]}" for i in features if r[i] != "") for r in rows]
render_ms = (time.perf_counter() - t) * 1e3

tok = Tokenizer.from_file(tokenizer_path)
tok.no_padding()
tok.enable_truncation(max_length)
t = time.perf_counter()
enc = tok.encode_batch(texts)
tokenize_ms = (time.perf_counter() - t) * 1e3

print(json.dumps({"rows": len(rows), "tokens": sum(len(e.ids) for e in enc), "loadMs": load_ms, "renderMs": render_ms, "tokenizeMs": tokenize_ms}))
