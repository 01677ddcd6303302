#!/usr/bin/env node
/**
 * The `mlx-train` command. Only commander and this file load at start-up: each subcommand's module
 * (and the native addon, the store, the trainer) is imported when that subcommand runs, so `--help`
 * stays fast.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { reportError, UsageError } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

type Handler = (opts: Record<string, unknown>, args: string[]) => Promise<void>;
/** Wraps a lazily imported subcommand module's `run`. */
const lazy = (load: () => Promise<{ run: Handler }>) => async (...received: unknown[]) => {
  const command = received[received.length - 1] as Command;
  const { run } = await load();
  await run({ ...command.optsWithGlobals() }, command.args);
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('mlx-train')
    .description('Train transformer classifiers with MLX and track every run in one MLflow-compatible store.')
    .version(pkg.version, '-V, --version')
    .option('--verbose', 'print stack traces and debug logs on errors')
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();

  const configOptions = (cmd: Command) => cmd
    .option('-p, --preset <name>', 'a preset: quick, standard, production (default: quick when no --config)')
    .option('-c, --config <file>', 'a YAML config file (may `extends` a preset)')
    .option('-s, --set <key=value>', 'override one config key (repeatable), e.g. --set training.epochs=5', collect, [])
    .option('-e, --experiment <name>', 'tracking experiment name (tracking.experimentName)')
    .option('--output-dir <dir>', 'where checkpoints, plots and predictions go (outputDir)');

  configOptions(program
    .command('train')
    .description('train a classifier (default: the quick preset on the embedded Titanic data) and log the run'))
    .option('--resume [checkpoint]', 'continue from a checkpoint file, or the latest one in outputDir')
    .option('--no-track', 'do not log to the tracking store')
    .option('--print-config', 'print the resolved config (YAML) to stderr before training')
    .option('--save-adapters [dir]', 'with training.lora.enabled: also write the LoRA adapters on their own (default outputDir/adapters)')
    .option('--batch-size <n|auto>', 'training.batchSize; auto runs the batch-size finder against training.memoryLimitMb first')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlx-train train --preset quick\n  $ mlx-train train --preset quick --batch-size auto --set training.memoryLimitMb=512\n  $ mlx-train train -c my-run.yaml --set training.epochs=5 -e titanic\n  $ mlx-train train --preset quick --resume\n  $ MLFLOW_TRACKING_URI=http://127.0.0.1:5000 mlx-train train --preset quick')
    .action(lazy(() => import('./train.js')));

  program
    .command('sweep')
    .description("hyperparameter search over config keys (the config's sweep section): trials as nested MLflow runs, pruning, resume")
    .requiredOption('-c, --config <file>', 'a YAML config file with a sweep section (may `extends` a preset)')
    .option('-s, --set <key=value>', 'override one config key (repeatable)', collect, [])
    .option('-e, --experiment <name>', 'tracking experiment name (tracking.experimentName)')
    .option('--resume <sweepRunId>', 'continue this sweep from the store: finished trials are kept, unfinished ones restart')
    .option('--json', 'print the ranked trials and the best config as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlx-train sweep -c configs/examples/sweep-quick.yaml\n  $ mlx-train sweep -c my-sweep.yaml -e tuning --json\n  $ mlx-train sweep -c my-sweep.yaml --resume 0f3c…')
    .action(lazy(() => import('./sweep.js')));

  configOptions(program
    .command('eval')
    .description('validation metrics (accuracy, precision, recall, F1, ROC-AUC, confusion matrix) of a checkpoint'))
    .option('--checkpoint <file>', "checkpoint file, 'latest', or 'best' in outputDir/checkpoints (the model fit() returns; the newest when none is marked best), or 'none' for the model as the config builds it (e.g. a fused folder in model.pretrained)", 'best')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  $ mlx-train eval --preset quick\n  $ mlx-train eval -c my-run.yaml --checkpoint outputs/checkpoints/step-00000120.safetensors --json')
    .action(lazy(() => import('./eval.js')));

  configOptions(program
    .command('predict')
    .argument('<test.csv>', 'CSV with the training columns (label optional)')
    .description('write a submission CSV (id, prediction) for a test CSV with a trained checkpoint'))
    .option('--checkpoint <file>', "checkpoint file, 'latest', or 'best' in outputDir/checkpoints (the model fit() returns; the newest when none is marked best), or 'none' for the model as the config builds it (e.g. a fused folder in model.pretrained)", 'best')
    .option('-o, --output <file>', 'where to write the CSV (default: outputDir/predictions.csv)')
    .option('--json', 'also print the predictions as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlx-train predict test.csv --preset quick -o submission.csv')
    .action(lazy(() => import('./predict.js')));

  configOptions(program
    .command('fuse')
    .description('merge a LoRA run\'s adapters into the base weights and write a standalone Hugging Face folder (config.json, model.safetensors, tokenizer)'))
    .option('--checkpoint <file>', "checkpoint file, 'latest', or 'best' in outputDir/checkpoints (the model fit() returns; the newest when none is marked best)", 'best')
    .addOption(new Option('--adapters <dir>', 'fuse adapters written by train --save-adapters instead of a checkpoint').conflicts('checkpoint'))
    .requiredOption('-o, --out <dir>', 'the folder to write (must not exist or be empty)')
    .option('--force', 'replace the output folder if it exists')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ mlx-train fuse -c lora-run.yaml -o fused-model\n  $ mlx-train fuse -c lora-run.yaml --adapters outputs/adapters -o fused-model --force\n  $ mlx-train eval -c lora-run.yaml --set model.pretrained=fused-model --set training.lora.enabled=false --set training.quantization.enabled=false --checkpoint none')
    .action(lazy(() => import('./fuse.js')));

  program
    .command('bench')
    .argument('[names...]', 'benchmarks to run (default: all): op-overhead, matmul, memory-flat, train-step, data-pipeline, tracking-log, trainer-quick, distributed, cli-startup')
    .description('run the benchmarks in bench/ against Python MLX / NumPy / MLflow (source checkout)')
    .option('--trials <n>', 'trials per contender')
    .option('--record', 'append the results to bench/RESULTS.md')
    .addHelpText('after', '\nExamples:\n  $ mlx-train bench op-overhead --trials 5\n  $ mlx-train bench matmul --record')
    .action(lazy(() => import('./bench.js')));

  program
    .command('config')
    .description('print the resolved config, validate a config file, or write a starter file')
    .option('-p, --preset <name>', 'start from a preset: quick, standard, production')
    .option('-c, --config <file>', 'a YAML config file (may `extends` a preset)')
    .option('-s, --set <key=value>', 'override one key (repeatable), e.g. --set training.epochs=5', collect, [])
    .option('--validate', 'only check the config; print "ok" or the errors')
    .option('--init <file>', 'write a commented starter config to FILE (refuses to overwrite)')
    .option('--json', 'print the resolved config as JSON instead of YAML')
    .addHelpText('after', '\nExamples:\n  $ mlx-train config --preset quick\n  $ mlx-train config -c my.yaml --validate\n  $ mlx-train config --init my-run.yaml')
    .action(lazy(() => import('./config.js')));

  program
    .command('doctor')
    .description('check MLX, BLAS speed, threads, the C++ compiler for compile, memory and the tracking store')
    .option('--json', 'machine-readable output (attach it to bug reports)')
    .option('--tracking-uri <uri>', 'store to check (default: MLFLOW_TRACKING_URI or sqlite:///mlruns/mlflow.db)')
    .addHelpText('after', '\nExamples:\n  $ mlx-train doctor\n  $ mlx-train doctor --json > doctor.json')
    .action(lazy(() => import('./doctor.js')));

  const trackingOption = () => new Option('--tracking-uri <uri>', 'tracking store (default: MLFLOW_TRACKING_URI or sqlite:///mlruns/mlflow.db)');

  program
    .command('experiments')
    .description('list the experiments in the tracking store')
    .addOption(trackingOption())
    .option('--all', 'include deleted experiments')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  $ mlx-train experiments\n  $ mlx-train experiments --json')
    .action(lazy(() => import('./experiments.js')));

  program
    .command('runs')
    .argument('[action]', 'list (default), show RUN_ID, or compare RUN_ID RUN_ID...')
    .argument('[runIds...]', 'run ids for show/compare')
    .description('list, show or compare runs, filtered with MLflow\'s search syntax')
    .addOption(trackingOption())
    .option('-e, --experiment <name>', 'only runs of this experiment')
    .option('-f, --filter <expr>', 'MLflow filter, e.g. "metrics.val_accuracy > 0.8 and params.model.size = \'tiny\'"')
    .option('-o, --order-by <clause>', 'order, e.g. "metrics.val_accuracy DESC" (repeatable)', collect, [])
    .option('-n, --max <n>', 'at most N runs', '50')
    .option('--all', 'compare: show params that are equal too')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  $ mlx-train runs\n  $ mlx-train runs -e mlx_training -f "metrics.val_accuracy > 0.78" -o "metrics.val_accuracy DESC"\n  $ mlx-train runs show 1f0c9e…\n  $ mlx-train runs compare RUN_A RUN_B --json')
    .action(lazy(() => import('./runs.js')));

  program
    .command('models')
    .argument('[action]', 'list (default) or show NAME')
    .argument('[name]', 'registered model name for show')
    .description('list registered models and their versions')
    .addOption(trackingOption())
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  $ mlx-train models\n  $ mlx-train models show mlx-train-classifier --json')
    .action(lazy(() => import('./models.js')));

  program
    .command('ui')
    .description('a live dashboard of the tracking store in your browser: runs, curves, artifacts, compare, sweeps')
    .addOption(trackingOption())
    .option('--port <port>', 'port to listen on (0 picks a free one)', '5000')
    .option('--host <host>', 'address to bind; anything but 127.0.0.1 exposes every run to the network', '127.0.0.1')
    .addHelpText('after', '\nExamples:\n  $ mlx-train ui\n  $ mlx-train ui --port 8080 --tracking-uri sqlite:///mlruns/mlflow.db\n  $ mlx-train ui --tracking-uri http://127.0.0.1:5001')
    .action(lazy(() => import('./ui.js')));

  program
    .command('migrate')
    .argument('[sources...]', 'MLflow SQLite files, sqlite:/// URIs, mlruns/ folders, or folders to scan (default: .)')
    .description('merge scattered MLflow stores (any version, SQLite or file store) into the central database, with backups')
    .option('--into <db>', 'the central database', 'mlruns/mlflow.db')
    .option('--dry-run', 'print exactly what would happen; write nothing')
    .option('--backup-dir <dir>', 'where backups go (default: <target dir>/backups)')
    .option('--artifact-root <dir>', 'artifact root of the central store (default: artifacts beside the database)')
    .option('--json', 'machine-readable report')
    .addHelpText('after', '\nExamples:\n  $ mlx-train migrate --dry-run ~/old-projects\n  $ mlx-train migrate old/mlflow.db old/mlruns --into mlruns/mlflow.db\n\nGuide: docs/migration.md')
    .action(lazy(() => import('./migrate.js')));

  program
    .command('launch')
    .description("run an mlx-train subcommand as N data-parallel ranks on MLX's ring backend")
    .argument('<command...>', 'the mlx-train subcommand and its arguments (after --), or any command with --raw')
    .option('-n, --np <n>', 'number of ranks on this machine (default 1; with --hosts, one per host)')
    .option('--hosts <file>', 'mlx.launch-style hostfile: [{"ssh": "node1", "ips": ["10.0.0.1"]}, ...]')
    .option('--backend <name>', 'distributed backend (only ring is supported)', 'ring')
    .option('--start-port <port>', 'first ring port on remote hosts (local runs pick free ports)')
    .option('--env <NAME=value>', 'environment for every rank (repeatable)', collect, [])
    .option('--timeout <seconds>', 'deadline for each blocking distributed call in a rank (default 120)')
    .option('--exit-grace <seconds>', 'once a rank has finished, stop the others after this long (default 120)')
    .option('--cwd <dir>', 'working directory of the ranks')
    .option('--raw', 'run the arguments as a command instead of an mlx-train subcommand')
    .option('--no-prefix', 'do not prefix output lines with [rank i]')
    .addHelpText('after', '\nExamples:\n  $ mlx-train launch -n 2 -- train -c run.yaml\n  $ mlx-train launch --hosts hosts.json -- train --preset quick')
    .action(lazy(() => import('./launch.js')));

  configOptions(program
    .command('serve')
    .description("answer MLflow's scoring protocol (POST /invocations, GET /ping, /health, /version) with a trained model, batching concurrent requests"))
    .option('--checkpoint <file|run id>', "checkpoint file, 'latest', 'best' in outputDir/checkpoints, a tracked run's id (its best checkpoint artifact), or 'none' for the model as the config builds it", 'best')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '5001')
    .option('--host <host>', 'address to bind; anything but 127.0.0.1 exposes the model to the network', '127.0.0.1')
    .option('--max-batch <rows>', 'rows one forward pass may take across concurrent requests (1: no batching)', '32')
    .option('--batch-wait-ms <ms>', 'how long a request may wait for others to share its forward pass', '5')
    .option('--max-body-mb <mb>', 'largest request body accepted; larger ones get 413', '16')
    .addHelpText('after', '\nExamples:\n  $ mlx-train serve --preset quick\n  $ mlx-train serve -c my-run.yaml --checkpoint 3f2a…(a run id) --port 8080\n  $ curl -s localhost:5001/invocations -H \'Content-Type: application/json\' -d \'{"dataframe_records": [{"Pclass": 1, "Sex": "female", …}]}\'')
    .action(lazy(() => import('./serve.js')));

  program.addOption(new Option('--debug').hideHelp());
  return program;
}

/**
 * Commander suggests an option only when it is very close: always name the nearest one of the command
 * that was run and point to its --help.
 */
async function unknownOptionHint(program: Command, message: string, args: string[]): Promise<string> {
  const sub = program.commands.find((c) => args.includes(c.name()));
  const command = sub ?? program;
  const flag = /unknown option '([^']*)'/.exec(message)?.[1] ?? '';
  const longs = [...command.options, ...program.options].filter((o) => !o.hidden && o.long).map((o) => o.long as string);
  const help = `mlx-train${sub ? ` ${sub.name()}` : ''} --help`;
  if (!longs.length || /Did you mean/.test(message)) return `(all options: ${help})\n`;
  const { closest } = await import('fastest-levenshtein');
  return `(the closest valid option is ${closest(flag.split('=')[0], longs)}; all options: ${help})\n`;
}

export async function main(argv = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return 0;
      if (err.code === 'commander.unknownOption') process.stderr.write(await unknownOptionHint(program, err.message, argv.slice(2)));
      return 2;
    }
    return reportError(err, argv.includes('--verbose') || argv.includes('--debug'));
  }
}

// `mlx-train runs | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});


main().then((code) => {
  // A command may already have set a failure code (e.g. doctor, migrate with a failed source).
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
}, (err) => {
  process.exitCode = reportError(err, true);
});

export { UsageError };
