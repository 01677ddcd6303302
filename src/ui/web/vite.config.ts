// Builds the dashboard's browser code (plain TS + uPlot) into dist/ui/web, which the package ships.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../../dist/ui/web', import.meta.url)),
    emptyOutDir: true,
    // The CSP allows no inline script: keep the module preload polyfill out of the HTML.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
  },
});
