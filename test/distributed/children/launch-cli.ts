// Runs `mlx-train launch` through its module's run(opts, args), the way main.ts calls it, so the CLI
// behaviour (exit codes, messages, signal forwarding) is tested before the lead wires the subcommand.
// Usage: launch-cli.ts '<opts JSON>' -- <args…>
import { run } from '../../../src/cli/launch.js';

const opts = JSON.parse(process.argv[2]);
const args = process.argv.slice(process.argv.indexOf('--') + 1);
run(opts, args).then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    process.stderr.write(`error[${err.code ?? 'ERROR'}]: ${err.message}\n`);
    process.exit(2);
  },
);
