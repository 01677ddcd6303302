#!/usr/bin/env bash
# Builds the prebuilt addon that `npm pack` ships, so `npm install mlx-train` needs no compiler, cmake or pip:
#   prebuilds/<platform>-<arch>/mlx-train.glibc.node   prebuildify + node-gyp (binding.gyp), N-API, stripped
#   prebuilds/<platform>-<arch>/lib*.so*               libmlx and every non-system library it loads (OpenBLAS
#                                                      in place of the wheel's reference BLAS, libgfortran, ...)
#   prebuilds/<platform>-<arch>/licenses/              their licence files and where each library came from
# The addon's only rpath is $ORIGIN (binding.gyp, mlx_prebuild=1); libmlx and OpenBLAS find their own
# dependencies through it because it is a DT_RPATH, which the loader also applies to libraries loaded on
# the addon's behalf, so no library needs patching. node-gyp-build ignores the non-.node files.
# Works in a temp copy (node-gyp would replace the cmake-js build/) and downloads nothing: Node's headers
# come from the installed Node (--nodedir). Linux only for now (macOS would need install_name_tool).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export MLX_DIR="${MLX_DIR:-$root/vendor/mlx/mlx}"
tuple="$(node -p 'process.platform + "-" + process.arch')"
die() { echo "prebuild: $*" >&2; exit 1; }

[[ "$tuple" == linux-* ]] || die "bundling libraries is only implemented for Linux (this is $tuple)"
[ -f "$MLX_DIR/lib/libmlx.so" ] || die "no libmlx.so in $MLX_DIR/lib: run \`npm run fetch-mlx\` or set MLX_DIR"
nodedir="${NODE_GYP_NODEDIR:-$(dirname "$(dirname "$(command -v node)")")}"
[ -f "$nodedir/include/node/node_api.h" ] || die "no Node headers in $nodedir/include/node (set NODE_GYP_NODEDIR)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/mlxt-prebuild.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/binding.gyp" "$root/package.json" "$root/native" "$tmp/"
ln -s "$root/node_modules" "$tmp/node_modules"

# prebuildify passes --target/--devdir to node-gyp; npm_config_nodedir makes node-gyp use the local
# headers instead of downloading them. --tag-libc: the MLX wheel is glibc-only, so musl gets no match
# and falls back to a source build instead of a loader error.
echo "prebuild: compiling the addon for $tuple (node-gyp, $MLX_DIR)" >&2
(cd "$tmp" && npm_config_nodedir="$nodedir" GYP_DEFINES="mlx_prebuild=1" JOBS="${JOBS:-2}" \
  "$root/node_modules/.bin/prebuildify" --napi --strip --tag-libc --target="$(node -p process.versions.node)" \
  --cwd "$tmp" --out "$tmp/out" --quiet)
dest="$tmp/out/prebuilds/$tuple"
addon="$(ls "$dest"/*.node)"

rpath="$(readelf -d "$addon" | sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p')"
[ "$rpath" = '$ORIGIN' ] || die "expected the addon's only rpath to be \$ORIGIN, found '$rpath' (binding.gyp mlx_prebuild)"

# Everything the addon loads except the C/C++ runtime every Linux with Node has.
system_lib='^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s)[.-]'
mkdir -p "$dest/licenses"
manifest="$dest/licenses/SOURCES.txt"
echo "Libraries bundled with the mlx-train addon for $tuple, and where each came from:" >"$manifest"
blas_ok=0
while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue
  [[ "$name" =~ $system_lib ]] && continue
  [ -f "$path" ] || die "$name is not found ($path); ldd could not resolve the addon's libraries"
  real="$(readlink -f "$path")"
  cp "$real" "$dest/$name"
  chmod 0755 "$dest/$name"
  wheel_dir="$(readlink -f "$MLX_DIR/..")"
  if [[ "$real" == "$wheel_dir"/* ]]; then
    origin="the MLX wheel"
  elif deb="$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1)" && [ -n "$deb" ]; then
    origin="Debian package $deb $(dpkg-query -W -f='${Version}' "$deb")"
    cp -L "/usr/share/doc/$deb/copyright" "$dest/licenses/$deb.copyright"
  else
    origin="a system library of no Debian package"
    echo "prebuild: warning: add the licence of $real to prebuilds/$tuple/licenses by hand" >&2
  fi
  echo "$name  <-  $real  ($origin)" >>"$manifest"
  if [[ "$name" == libblas* && "$real" == *openblas* ]]; then blas_ok=1; fi
done < <(LD_LIBRARY_PATH="$MLX_DIR/lib" ldd "$addon")

# The wheel's reference BLAS is ~50x slower than OpenBLAS; never ship it by accident.
if [ "$blas_ok" != 1 ] && [ "${MLX_TRAIN_ALLOW_REFERENCE_BLAS:-}" != 1 ]; then
  die "libmlx resolves its BLAS to the wheel's reference BLAS, not OpenBLAS. Install libopenblas0-pthread and run
  \`npm run fetch-mlx\` (it links OpenBLAS in), or set MLX_TRAIN_ALLOW_REFERENCE_BLAS=1 to ship the slow one."
fi
for lic in "$MLX_DIR"/../*.dist-info/licenses/*; do
  if [ -f "$lic" ]; then cp "$lic" "$dest/licenses/mlx-$(basename "$lic")"; fi
done

rm -rf "$root/prebuilds/$tuple"
mkdir -p "$root/prebuilds"
mv "$dest" "$root/prebuilds/$tuple"
echo "prebuild: prebuilds/$tuple ($(du -sh "$root/prebuilds/$tuple" | cut -f1)):" >&2
(cd "$root/prebuilds/$tuple" && ls -l --block-size=K | tail -n +2 | awk '{print "  " $5 "  " $9}' >&2)
