/**
 * mlx-train/distributed: MLX's distributed groups and collectives, data-parallel helpers, the launcher.
 * Public face only; deadlines, ring-environment checks and the launcher's ssh/port plumbing are internal.
 */
// Joining a group and asking where this process stands in it.
export { Group } from './group.js';
export { init, isAvailable, isInitialized, getDefaultGroup, worldSize, rank, isMainProcess, BACKENDS, type Backend, type InitOptions } from './init.js';
// The collectives, and evaluating them with a deadline so a lost peer fails instead of hanging.
export { allSum, allGather, allMax, allMin, sumScatter, send, recv, evalCollective, type CollectiveOptions } from './ops.js';
// Data-parallel helpers for a hand-written loop: gradient averaging and this rank's share of the rows.
export { averageGradients, type AverageOptions } from './gradients.js';
export { shardIndices } from './shard.js';
// Starting a job: the launcher and the hostfile it reads.
export { launch, type LaunchOptions, type LaunchResult, type RankExit } from './launcher.js';
export { parseHostfile, readHostfile, type Host, type Hostfile } from './hostfile.js';
export { DistributedError } from '../errors.js';
