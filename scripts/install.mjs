#!/usr/bin/env node
// npm install hook: use a matching prebuild when the package ships one; otherwise obtain MLX and
// build the addon from source (needs cmake and a C++17 compiler).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as fetchMlx } from './fetch-mlx.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function prebuildMatches() {
  try {
    const found = require('node-gyp-build').path(root);
    return found.includes(`${join(root, 'prebuilds')}`) ? found : null;
  } catch {
    return null;
  }
}

const prebuild = process.env.MLX_TRAIN_BUILD_FROM_SOURCE ? null : prebuildMatches();
if (prebuild) {
  console.error(`mlx-train: using prebuilt addon ${prebuild}`);
} else {
  const prefix = fetchMlx();
  console.error('mlx-train: building the native addon from source (cmake-js)');
  try {
    const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
    execFileSync(process.execPath, [cmakeJs, 'compile', '--parallel', '2', `--CDMLX_PREFIX=${prefix}`],
      { cwd: root, stdio: 'inherit' });
  } catch {
    console.error('\nmlx-train: building the native addon failed (see the compiler output above).\n' +
      'It needs cmake >= 3.20 and a C++17 compiler (Debian/Ubuntu: apt-get install cmake g++).\n' +
      'Run `npx mlx-train doctor` after installing them, then `npm rebuild mlx-train`.');
    process.exit(1);
  }
}
