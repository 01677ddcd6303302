/** The launcher with plain shell ranks (fast): environment, failure propagation, signals, the ssh command line, the CLI. */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as dist from '../../src/distributed/index.js';
import { ringHostfile } from '../../src/distributed/hostfile.js';
import { remoteScript, sshCommand } from '../../src/distributed/launcher.js';
import { nodeTs, readOut, runRanks } from './helpers.js';

const sh = (script: string) => ['/bin/sh', '-c', script];

describe('launch on this machine', () => {
  it('gives each rank MLX_RANK and a ring hostfile of free loopback ports, as mlx.launch does', async () => {
    const ran = await runRanks(sh('echo "{\\"rank\\":$MLX_RANK,\\"extra\\":\\"$EXTRA\\",\\"hosts\\":$(cat $MLX_HOSTFILE)}" > $OUT_DIR/env-$MLX_RANK.json'), { n: 3, env: ['EXTRA=a b'] });
    expect(ran.exitCode).toBe(0);
    const seen = [0, 1, 2].map((r) => readOut<{ rank: number; extra: string; hosts: string[][] }>(ran.outDir, `env-${r}.json`));
    expect(seen.map((s) => s.rank)).toEqual([0, 1, 2]);
    expect(seen[0].extra).toBe('a b');
    const hosts = seen[0].hosts;
    expect(hosts).toHaveLength(3);
    for (const h of hosts) expect(h).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    expect(new Set(hosts.flat()).size).toBe(3);
    expect(seen[1].hosts).toEqual(hosts);
  });

  it('prefixes output lines with the rank', async () => {
    const ran = await runRanks(sh('echo hello; echo oops >&2'));
    expect(ran.stdout.split('\n').sort()).toEqual(['', '[rank 0] hello', '[rank 1] hello']);
    expect(ran.stderr).toContain('[rank 1] oops');
  });

  it('stops the other ranks when one fails and exits with its code', async () => {
    const ran = await runRanks(sh('if [ "$MLX_RANK" = 1 ]; then exit 7; fi; sleep 30'), { n: 3 });
    expect(ran.exitCode).toBe(7);
    expect(ran.error).toBe('rank 1 exited with code 7; stopped the other ranks');
    expect(ran.ranks[1]).toEqual({ rank: 1, code: 7, signal: null, stopped: false });
    expect(ran.ranks[0]).toMatchObject({ signal: 'SIGTERM', stopped: true });
    expect(ran.ms).toBeLessThan(15_000);
  });

  it('kills a rank that ignores SIGTERM after the grace period', async () => {
    const ran = await runRanks(sh('if [ "$MLX_RANK" = 1 ]; then sleep 0.3; exit 1; fi; trap "" TERM; sleep 30 & wait; sleep 30'), { killGraceMs: 500 });
    expect(ran.exitCode).toBe(1);
    expect(ran.ranks[0]).toMatchObject({ signal: 'SIGKILL', stopped: true });
    expect(ran.ms).toBeLessThan(15_000);
  });

  it('bounds how long the others run on once a rank has finished', async () => {
    const ran = await runRanks(sh('if [ "$MLX_RANK" = 0 ]; then exit 0; fi; sleep 30'), { exitGraceMs: 800 });
    expect(ran.exitCode).toBe(143);
    expect(ran.error).toMatch(/rank 0 finished but the others were still running 800 ms later/);
    expect(ran.ms).toBeLessThan(15_000);
  });

  it('reports a command that cannot start', async () => {
    const ran = await runRanks(['/nonexistent/mlx-train-rank']);
    expect(ran.exitCode).toBe(127);
    expect(ran.error).toMatch(/rank \d could not start: .*ENOENT/);
  });

  it('rejects bad environment assignments and empty commands', async () => {
    await expect(dist.launch({ n: 1, command: [] })).rejects.toThrow(/no command to run/);
    await expect(dist.launch({ n: 1, command: ['true'], env: ['BAD-NAME=1'] })).rejects.toThrow(/'BAD-NAME=1' is not a valid environment assignment/);
  });
});

describe('hostfiles and remote ranks', () => {
  it('reads mlx.launch hostfiles (list or object form) and names what is wrong', () => {
    const list = dist.parseHostfile(JSON.stringify([{ ssh: 'node1', ips: ['10.0.0.1'] }, { ssh: 'node2', ips: ['10.0.0.2'] }]));
    expect(list).toEqual({ hosts: [{ ssh: 'node1', ips: ['10.0.0.1'] }, { ssh: 'node2', ips: ['10.0.0.2'] }], backend: undefined, envs: [] });
    const obj = dist.parseHostfile(JSON.stringify({ backend: 'ring', envs: ['A=1'], hosts: [{ ssh: '10.0.0.1' }, { ssh: '10.0.0.2' }] }));
    expect(obj).toEqual({ hosts: [{ ssh: '10.0.0.1', ips: ['10.0.0.1'] }, { ssh: '10.0.0.2', ips: ['10.0.0.2'] }], backend: 'ring', envs: ['A=1'] });
    expect(() => dist.parseHostfile('{', 'h.json')).toThrow(/h.json: not valid JSON/);
    expect(() => dist.parseHostfile('[]', 'h.json')).toThrow(/h.json: expected a non-empty list of hosts/);
    expect(() => dist.parseHostfile('[{"ips":["1.2.3.4"]}]', 'h.json')).toThrow(/host 0 needs an "ssh" string/);
    expect(() => dist.parseHostfile('{"hosts":[{"ssh":"a"}],"envs":["NOEQUALS"]}', 'h.json')).toThrow(/"envs" must be a list of "NAME=value"/);
    expect(() => dist.readHostfile('/nonexistent/hosts.json')).toThrow(/cannot read hostfile \/nonexistent\/hosts.json: ENOENT/);
  });

  it('numbers ring ports per rank and IP like mlx.launch, and needs IPs', () => {
    const hosts = [{ ssh: 'a', ips: ['10.0.0.1', '10.1.0.1'] }, { ssh: 'b', ips: ['10.0.0.2', '10.1.0.2'] }];
    expect(ringHostfile(hosts, { startPort: 5000 })).toEqual([['10.0.0.1:5000', '10.1.0.1:5001'], ['10.0.0.2:5002', '10.1.0.2:5003']]);
    expect(() => ringHostfile([{ ssh: 'node1', ips: [] }], { startPort: 5000 })).toThrow(/host 0 \("node1"\) has no IP address/);
  });

  it('builds an ssh command whose script sets up the rank exactly (run here with bash to prove it)', () => {
    const ringJson = JSON.stringify([['10.0.0.1:5000'], ['10.0.0.2:5001']]);
    const script = remoteScript({ rank: 1, ringJson, env: ["QUOTE=it's \"fine\" $HOME"], cwd: '/tmp', command: ['/bin/sh', '-c', 'echo "$MLX_RANK|$QUOTE|$(pwd)|$(cat "$MLX_HOSTFILE")|$0"', "arg with 'quote'"] });
    const argv = sshCommand('user@node2', script);
    expect(argv.slice(0, 7)).toEqual(['ssh', '-tt', '-o', 'LogLevel=QUIET', '-o', 'BatchMode=yes', 'user@node2']);
    expect(argv[7]).toBe(script);
    // What the remote login shell would do with the last argument:
    const r = spawnSync('/bin/bash', ['-c', argv[7]], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`1|it's "fine" $HOME|/tmp|${ringJson}|arg with 'quote'`);
  });

  it('reports an unreachable remote host as a failed rank (ssh cannot connect)', async () => {
    const ran = await runRanks(['true'], { hosts: [{ ssh: '127.0.0.1', ips: ['127.0.0.1'] }, { ssh: 'nobody@host.invalid', ips: ['192.0.2.1'] }], killGraceMs: 500 });
    expect(ran.exitCode).not.toBe(0);
    expect(ran.error).toMatch(/rank 1 (exited with code 255|could not start)/);
  }, 60_000);
});

describe('mlx-train launch (src/cli/launch.ts run)', () => {
  const cli = (opts: object, args: string[]) => spawnSync(nodeTs('launch-cli.ts')[0], [...nodeTs('launch-cli.ts').slice(1), JSON.stringify(opts), '--', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('exits with the failing rank’s code and says which rank failed', () => {
    const r = cli({ np: '2', raw: true }, sh('exit $((MLX_RANK * 5))'));
    expect(r.status).toBe(5);
    expect(r.stderr).toContain('error[DISTRIBUTED_ERROR]: rank 1 exited with code 5; stopped the other ranks');
  }, 120_000);

  it('refuses bad usage with exit 2', () => {
    expect(cli({ np: '0', raw: true }, ['true']).stderr).toMatch(/-n expects a positive integer but received '0'/);
    const mpi = cli({ np: '2', backend: 'mpi', raw: true }, ['true']);
    expect(mpi.status).toBe(2);
    expect(mpi.stderr).toMatch(/--backend mpi is not supported .*no MPI libraries/);
    expect(cli({ np: '2' }, []).stderr).toMatch(/launch needs the command to run after --/);
  }, 120_000);

  it('forwards SIGTERM to every rank and exits non-zero', async () => {
    const [prog, ...rest] = nodeTs('launch-cli.ts');
    const child = spawn(prog, [...rest, JSON.stringify({ np: '2', raw: true }), '--', ...sh('echo started; trap "echo got-term; exit 9" TERM; sleep 60 & wait')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    while ((out.match(/started/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).toContain('[rank 0] got-term');
    expect(out).toContain('[rank 1] got-term');
    expect(code).toBe(9);
    expect(out).toContain('launcher received SIGTERM; passed it to every rank');
  }, 120_000);
});
