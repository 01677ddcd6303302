#!/usr/bin/env bash
# Checks that binding.gyp builds the addon with node-gyp, offline, and that the result loads and exports
# the same functions as the cmake-js build. Works in a temp copy so build/ (cmake-js) is left alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mlxt-gyp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cp -r "$root/binding.gyp" "$root/package.json" "$root/native" "$tmp/"
ln -s "$root/node_modules" "$tmp/node_modules"
export MLX_DIR="${MLX_DIR:-$root/vendor/mlx/mlx}"
# --nodedir: headers of the installed Node (no download). Override with NODE_GYP_NODEDIR.
nodedir="${NODE_GYP_NODEDIR:-$(dirname "$(dirname "$(command -v node)")")}"
(cd "$tmp" && "$root/node_modules/.bin/node-gyp" rebuild --nodedir="$nodedir" --jobs "${JOBS:-2}" --loglevel=warn)

addon="$tmp/build/Release/mlx_train.node"
if command -v readelf >/dev/null; then
  readelf -d "$addon" | grep -E 'R(UN)?PATH' | grep -q '\$ORIGIN' || { echo "check-gyp-build: no \$ORIGIN rpath in $addon" >&2; exit 1; }
fi
node -e '
  const gyp = require(process.argv[1]);
  const cmake = process.argv[2] ? require(process.argv[2]) : null;
  const names = (m) => Object.keys(m).sort().join(",");
  if (typeof gyp.zeros !== "function") throw new Error("node-gyp addon lacks zeros()");
  if (cmake && names(gyp) !== names(cmake)) throw new Error("node-gyp and cmake-js addons export different functions");
  console.log(`check-gyp-build: node-gyp addon loads (MLX ${gyp.mlxVersion}, ${Object.keys(gyp).length} exports)`);
' "$addon" "$( [ -f "$root/build/Release/mlx_train.node" ] && echo "$root/build/Release/mlx_train.node" )"
