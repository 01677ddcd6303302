// `node --import ./scripts/register-ts.mjs file.ts`: runs the TypeScript sources directly (benchmarks,
// child processes of tests) without a build step or a TS runner package. Types are stripped only.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
