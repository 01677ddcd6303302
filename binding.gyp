# node-gyp build of the same addon CMakeLists.txt builds (cmake-js stays the primary build).
# Same sources (native/*.cc, native/fused/*.cc), same MLX prefix ($MLX_DIR, else vendor/mlx/mlx from scripts/fetch-mlx.mjs),
# same defines, and an $ORIGIN rpath so libmlx is found without LD_LIBRARY_PATH.
# Offline: node-gyp rebuild --nodedir=/usr (headers from the system Node instead of a download).
{
  "variables": {
    "mlx_prefix": "<!(node -p \"require('path').resolve(process.env.MLX_DIR || 'vendor/mlx/mlx')\")",
    "addon_api_dir": "<!(node -p \"require('node-addon-api').include_dir\")",
    # 1 for a prebuild (scripts/prebuild.sh: GYP_DEFINES=mlx_prebuild=1): libmlx ships beside the addon,
    # so the build machine's MLX path must not end up in the rpath.
    "mlx_prebuild%": 0,
  },
  "targets": [
    {
      "target_name": "mlx_train",
      "sources": ["<!@(node -p \"['native', 'native/fused'].flatMap(d => require('fs').readdirSync(d).filter(f => f.endsWith('.cc')).map(f => d + '/' + f)).join(' ')\")"],
      "include_dirs": ["<(addon_api_dir)", "<(mlx_prefix)/include"],
      "defines": [
        "NAPI_VERSION=9",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
      ],
      # MLX's headers need C++20 (its CMake package requires cxx_std_20, which cmake-js honours too).
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=c++17"],
      "cflags_cc": ["-std=gnu++20", "-fexceptions", "-frtti", "-O3", "-fno-math-errno", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-L<(mlx_prefix)/lib", "-lmlx"],
      "conditions": [
        ["OS=='linux'", {
          # $ORIGIN: libmlx beside the addon (prebuilds); then the prefix it was built against.
          # RPATH rather than RUNPATH so it also applies to libmlx's own dependencies.
          "ldflags": ["-Wl,--disable-new-dtags", "-Wl,-rpath,'$$ORIGIN'"],
          "conditions": [["mlx_prebuild==0", {"ldflags": ["-Wl,-rpath,<(mlx_prefix)/lib"]}]],
        }],
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
        "OTHER_LDFLAGS": ["-Wl,-rpath,@loader_path", "-Wl,-rpath,<(mlx_prefix)/lib"],
      },
    },
  ],
}
