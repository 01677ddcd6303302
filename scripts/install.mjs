#!/usr/bin/env node
// npm install hook. With a prebuild for this platform (prebuilds/<platform>-<arch>/, libmlx and OpenBLAS
// bundled beside it) there is nothing to do: the addon is found at run time by node-gyp-build, so this
// script is not needed at all, and npm 11, which skips dependencies' install scripts unless approved,
// may skip it. Without a matching prebuild (or with MLX_TRAIN_BUILD_FROM_SOURCE=1, or in a development
// checkout) it obtains MLX and builds the addon from source: that needs cmake, a C++ compiler and pip.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tuple = `${process.platform}-${process.arch}`;

/** The prebuilt addon node-gyp-build would pick, or null. */
function matchingPrebuild() {
  try {
    const found = require('node-gyp-build').path(root);
    return found.startsWith(join(root, 'prebuilds')) ? found : null;
  } catch {
    return null;
  }
}

/** Loads the prebuild (and so libmlx and its BLAS) once, so a library it cannot load shows up now. */
function loadError(file) {
  try {
    require(file);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

// A checkout of the repository (it has src/, which the package does not ship) always builds its own addon.
const developing = existsSync(join(root, 'src'));
const prebuild = process.env.MLX_TRAIN_BUILD_FROM_SOURCE || developing ? null : matchingPrebuild();
const problem = prebuild && loadError(prebuild);
if (prebuild && !problem) {
  console.error(`mlx-train: using the prebuilt addon ${prebuild}`);
  process.exit(0);
}

if (problem) {
  console.error(`mlx-train: the prebuilt addon for ${tuple} does not load here:\n  ${problem}\n` +
    'Building it from source instead.');
} else if (!developing && !process.env.MLX_TRAIN_BUILD_FROM_SOURCE) {
  console.error(`mlx-train: no prebuilt addon for ${tuple} (Node ${process.version}); building it from source.`);
}
const { main: fetchMlx } = await import('./fetch-mlx.mjs');
const prefix = fetchMlx();
console.error('mlx-train: building the native addon from source (cmake-js)');
try {
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  execFileSync(process.execPath, [cmakeJs, 'compile', '--parallel', '2', `--CDMLX_PREFIX=${prefix}`],
    { cwd: root, stdio: 'inherit' });
} catch {
  console.error('\nmlx-train: building the native addon failed (see the compiler output above).\n' +
    'It needs cmake >= 3.20, a C++20 compiler and Python 3 with pip (Debian/Ubuntu: apt-get install cmake g++ python3-pip).\n' +
    'Install them, then run `npm rebuild mlx-train` (npm 11: approve the script first with\n' +
    '`npm install-scripts approve mlx-train`). `npx mlx-train doctor` checks the result.');
  process.exit(1);
}
