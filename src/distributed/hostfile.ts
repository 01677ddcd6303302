/**
 * Host lists in the format of MLX's own `mlx.launch --hostfile` (a JSON list of `{ssh, ips}` objects,
 * or `{backend, envs, hosts: [...]}`), and the ring hostfile MLX reads from MLX_HOSTFILE: one list of
 * "ip:port" strings per rank, e.g. [["10.0.0.1:5000"], ["10.0.0.2:5001"]].
 */
import { readFileSync } from 'node:fs';
import { DistributedError } from './init.js';

export interface Host {
  /** What to pass to ssh; 'localhost'/'127.0.0.1' (or the empty string) runs the rank locally. */
  ssh: string;
  /** The addresses the other ranks reach this host on (the ring backend needs IPs, not names). */
  ips: string[];
}

export interface Hostfile {
  hosts: Host[];
  backend?: string;
  envs: string[];
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;

/** Parses and checks an mlx.launch-style hostfile; errors name the file and the entry. */
export function parseHostfile(text: string, file = 'hostfile'): Hostfile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DistributedError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  let hosts: unknown = data;
  let backend: string | undefined;
  let envs: string[] = [];
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const d = data as Record<string, unknown>;
    hosts = d.hosts;
    if (d.backend !== undefined && typeof d.backend !== 'string') throw new DistributedError(`${file}: "backend" must be a string`);
    backend = (d.backend as string | undefined) || undefined;
    if (d.envs !== undefined && (!Array.isArray(d.envs) || !d.envs.every((e) => typeof e === 'string' && e.includes('=')))) throw new DistributedError(`${file}: "envs" must be a list of "NAME=value" strings`);
    envs = (d.envs as string[] | undefined) ?? [];
  }
  if (!Array.isArray(hosts) || hosts.length === 0) throw new DistributedError(`${file}: expected a non-empty list of hosts ({"ssh": ..., "ips": [...]})`);
  const parsed = hosts.map((h, i): Host => {
    if (typeof h === 'string') return { ssh: h, ips: IPV4.test(h) ? [h] : [] };
    if (!h || typeof h !== 'object') throw new DistributedError(`${file}: host ${i} must be an object like {"ssh": "node1", "ips": ["10.0.0.1"]}`);
    const { ssh, ips } = h as { ssh?: unknown; ips?: unknown };
    if (typeof ssh !== 'string') throw new DistributedError(`${file}: host ${i} needs an "ssh" string`);
    const list = ips === undefined ? (IPV4.test(ssh) ? [ssh] : []) : ips;
    if (!Array.isArray(list) || !list.every((ip) => typeof ip === 'string' && ip.length > 0)) throw new DistributedError(`${file}: host ${i} ("${ssh}") has "ips" that is not a list of addresses`);
    return { ssh, ips: list as string[] };
  });
  return { hosts: parsed, backend, envs };
}

export function readHostfile(path: string): Hostfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DistributedError(`cannot read hostfile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseHostfile(text, path);
}

/** Whether a host entry means "this machine" (no ssh). */
export function isLocalHost(ssh: string): boolean {
  return ssh === '' || ssh === 'localhost' || ssh === '127.0.0.1' || ssh === '::1';
}

/**
 * The ring hostfile for `hosts`: rank r listens on each of its IPs at consecutive ports from
 * `startPort` (or at the given per-rank ports), as mlx.launch numbers them.
 */
export function ringHostfile(hosts: Host[], ports: number[] | { startPort: number }): string[][] {
  let next = Array.isArray(ports) ? 0 : ports.startPort;
  return hosts.map((h, rank) => {
    if (h.ips.length === 0) throw new DistributedError(`host ${rank} ("${h.ssh}") has no IP address; the ring backend needs "ips" in the hostfile`);
    return h.ips.map((ip) => {
      const port = Array.isArray(ports) ? ports[next++] : next++;
      if (port === undefined) throw new DistributedError(`not enough ports for the ring (need one per rank and IP)`);
      return `${ip}:${port}`;
    });
  });
}
