#!/usr/bin/env bash
# Proves the npm package installs and runs on a machine with no compiler, cmake, Python or pip:
# builds the prebuild (scripts/prebuild.sh), packs the tarball, installs it into an empty project with a
# PATH holding only node, npm and sh, and runs `mlx-train doctor` there, checking that MLX and the
# bundled OpenBLAS are the libraries really loaded.
#   --skip-prebuild  use the prebuilds/ already in the tree
#   --train          also train the quick preset in the installed package (slower)
#   --keep           keep the temp folder (tarball, project) and print where it is
# Needs `npm run build` (dist/) first; CI runs it after `npm test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
die() { echo "check-package: $*" >&2; exit 1; }
prebuild=1 train=0 keep=0
for arg in "$@"; do
  case "$arg" in
    --skip-prebuild) prebuild=0 ;;
    --train) train=1 ;;
    --keep) keep=1 ;;
    *) die "unknown option $arg (expected --skip-prebuild, --train, --keep)" ;;
  esac
done
tuple="$(node -p 'process.platform + "-" + process.arch')"
work="$(mktemp -d "${TMPDIR:-/tmp}/mlxt-package.XXXXXX")"
if [ "$keep" = 1 ]; then trap 'echo "check-package: kept $work" >&2' EXIT; else trap 'rm -rf "$work"' EXIT; fi

[ "$prebuild" = 1 ] && "$root/scripts/prebuild.sh"
ls "$root/prebuilds/$tuple/"*.node >/dev/null 2>&1 || die "no prebuilt addon in prebuilds/$tuple (run scripts/prebuild.sh)"
[ -f "$root/dist/cli/main.js" ] || die "dist/ is missing: run \`npm run build\` first"

# --- pack: dist/ is already built, so skip the prepare script (tsc) ---
(cd "$root" && npm pack --ignore-scripts --json --pack-destination "$work" >"$work/pack.json")
tarball="$work/$(node -p 'require(process.argv[1])[0].filename' "$work/pack.json")"
node -e '
  const [info] = require(process.argv[1]);
  const files = info.files.map((f) => f.path);
  const must = ["dist/cli/main.js", "dist/index.js", "binding.gyp", "CMakeLists.txt", "native/addon.cc",
    "scripts/install.mjs", "scripts/fetch-mlx.mjs", "configs/quick.yaml", `prebuilds/${process.argv[2]}/libmlx.so`];
  const missing = must.filter((f) => !files.includes(f));
  if (!files.some((f) => f.startsWith(`prebuilds/${process.argv[2]}/`) && f.endsWith(".node"))) missing.push("the prebuilt .node");
  const stray = files.filter((f) => /^(test|src|vendor|build|bench|node_modules|mlruns|\.venv|\.ci)\//.test(f));
  if (missing.length || stray.length) {
    console.error(`check-package: tarball lacks [${missing}] or ships [${stray.slice(0, 5)}${stray.length > 5 ? ", ..." : ""}]`);
    process.exit(1);
  }
  const mb = (n) => (n / 2 ** 20).toFixed(1) + " MiB";
  console.error(`check-package: ${info.filename}: ${mb(info.size)} packed, ${mb(info.unpackedSize)} unpacked, ${files.length} files`);
' "$work/pack.json" "$tuple"

# --- a PATH with node, npm, npx and sh only (npm runs lifecycle scripts through sh) ---
bin="$work/bin"
mkdir -p "$bin"
ln -s "$(command -v node)" "$bin/node"
ln -s "$(readlink -f "$(command -v npm)")" "$bin/npm"
ln -s "$(readlink -f "$(command -v npx)")" "$bin/npx"
ln -s "$(readlink -f /bin/sh)" "$bin/sh"
for tool in cc gcc g++ c++ clang cmake make python python3 pip pip3; do
  if PATH="$bin" command -v "$tool" >/dev/null; then die "$tool is still reachable on the stripped PATH"; fi
done
# Nothing from this tree's npm run, compilers or MLX install may leak in; bare runs a command on that PATH.
for var in $(compgen -e | grep -iE '^(npm_|CC$|CXX$|PYTHON$|MLX_DIR$|LD_LIBRARY_PATH$|OPENBLAS_CORETYPE$)'); do unset "$var"; done
bare() { env PATH="$bin" "$@"; }

# better-sqlite3 (the tracking store) gets its binary from its GitHub release through prebuild-install,
# its install script (approved below). CI cannot reach GitHub, so prebuild-install's local-prebuild folder
# (set in the project's .prebuild-installrc) is seeded with this tree's own build, under the release's name.
sqlite_dir="$root/node_modules/better-sqlite3"
sqlite_version="$(node -p "require('$sqlite_dir/package.json').version")"
mkdir -p "$work/sqlite-prebuilds"
tar -czf "$work/sqlite-prebuilds/better-sqlite3-v$sqlite_version-node-v$(node -p process.versions.modules)-$tuple.tar.gz" \
  -C "$sqlite_dir" build/Release/better_sqlite3.node

# --- install into an empty project, with every install script skipped: a prebuild must not need
# mlx-train's (npm 11 runs an unreviewed dependency's script with a notice, but pnpm, --ignore-scripts
# and --strict-allow-scripts do not). Then better-sqlite3's alone, as a user approving it would. ---
project="$work/project"
mkdir -p "$project"
cat >"$project/package.json" <<'EOF'
{ "name": "mlx-train-package-check", "version": "1.0.0", "private": true, "type": "module",
  "allowScripts": { "better-sqlite3": true } }
EOF
echo "local-prebuilds=$work/sqlite-prebuilds" >"$project/.prebuild-installrc"
cd "$project"
bare npm install --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=warn "$tarball"
bare npm rebuild better-sqlite3 --foreground-scripts --loglevel=warn
pkg="$project/node_modules/mlx-train"
bare node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()' || die "better-sqlite3 does not load"

# When approved, the install script must find the prebuild and exit at once, without a compiler.
start=$(date +%s%N)
bare node "$pkg/scripts/install.mjs"
echo "check-package: install script with a matching prebuild took $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2

bare npx --no-install mlx-train doctor || true   # the human-readable report, for the log (g++ is absent: WARN)
bare npx --no-install mlx-train doctor --json >"$work/doctor.json"
node -e '
  const { checks } = require(process.argv[1]);
  const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
  const fail = (m) => { console.error(`check-package: doctor: ${m}`); process.exit(1); };
  if (byName.MLX?.level !== "ok") fail(`MLX not ok: ${JSON.stringify(byName["native addon"] ?? byName.MLX)}`);
  const blas = byName.BLAS;
  if (blas?.level !== "ok" || blas.details.kind !== "openblas") fail(`BLAS is not a working OpenBLAS: ${blas?.value} ${blas?.hint ?? ""}`);
  if (blas.details.source !== "scipy-openblas32") fail(`BLAS is not the bundled scipy-openblas32: ${blas.value}`);
  console.error(`check-package: doctor: MLX ${byName.MLX.value}; BLAS ${blas.value}`);
' "$work/doctor.json"

# Every library the addon needs must come from the package, not from this machine (which has them too).
bare node --input-type=module -e '
  import { readFileSync, realpathSync } from "node:fs";
  const { mx } = await import("mlx-train");
  mx.eval(mx.matmul(mx.ones([64, 64]), mx.ones([64, 64])));
  const dir = realpathSync(process.argv[1]) + "/";
  const maps = readFileSync("/proc/self/maps", "utf8").split("\n").map((l) => l.slice(l.indexOf("/"))).filter((p) => p.startsWith("/"));
  const wanted = ["mlx-train.glibc.node", "libmlx.so", "libblas-", "liblapack-", "libscipy_openblas"];
  const wrong = wanted.map((w) => [w, [...new Set(maps.filter((p) => p.split("/").pop().startsWith(w)))]])
    .filter(([, paths]) => paths.length === 0 || paths.some((p) => !p.startsWith(dir)));
  if (wrong.length) {
    console.error("check-package: libraries not loaded from the package:", JSON.stringify(wrong));
    process.exit(1);
  }
  const system = maps.filter((p) => /blas|lapack|gfortran/.test(p.split("/").pop()) && !p.startsWith(dir));
  if (system.length) {
    console.error("check-package: a BLAS library outside the package is loaded:", JSON.stringify([...new Set(system)]));
    process.exit(1);
  }
  console.error(`check-package: addon, libmlx, the BLAS forwarder and scipy-openblas all loaded from ${dir}`);
' "$pkg/prebuilds/$tuple"

if [ "$train" = 1 ]; then
  # The README's main job in the installed package: train the quick preset on the embedded data
  # (no g++ on this PATH, so mx.compile runs uncompiled), then read the run back with `runs`.
  bare npx --no-install mlx-train train --preset quick --json >"$work/train.json" || die "train --preset quick failed"
  bare npx --no-install mlx-train runs --json >"$work/runs.json" || die "mlx-train runs failed"
  node -e '
    const train = require(process.argv[1]);
    const runs = require(process.argv[2]);
    const fail = (m) => { console.error(`check-package: train: ${m}`); process.exit(1); };
    if (train.status !== "FINISHED") fail(`status ${train.status}`);
    if (!runs.some((r) => r.info.runId === train.runId && r.info.status === "FINISHED")) fail(`run ${train.runId} not listed by mlx-train runs`);
    console.error(`check-package: train --preset quick: val accuracy ${train.metrics.accuracy.toFixed(3)} in ${(train.elapsedMs / 1000).toFixed(0)} s; run ${train.runId} in mlruns/mlflow.db`);
  ' "$work/train.json" "$work/runs.json"
  [ -f "$project/mlruns/mlflow.db" ] || die "train did not create mlruns/mlflow.db"
fi
echo "check-package: ok ($(basename "$tarball"))" >&2
