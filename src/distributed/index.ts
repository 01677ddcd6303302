/** mlx-train/distributed: MLX's distributed groups and collectives, data-parallel helpers, the launcher. */
export { Group } from './group.js';
export { init, isAvailable, isInitialized, getDefaultGroup, worldSize, rank, isMainProcess, checkRingEnvironment, BACKENDS, type Backend, type InitOptions } from './init.js';
export { DistributedError } from '../errors.js';
export { allSum, allGather, allMax, allMin, sumScatter, send, recv, recvLike, evalCollective, type CollectiveOptions } from './ops.js';
export { averageGradients, type AverageOptions } from './gradients.js';
export { shardIndices } from './shard.js';
export { defaultTimeoutMs, withDeadline } from './timeout.js';
export { parseHostfile, readHostfile, ringHostfile, isLocalHost, type Host, type Hostfile } from './hostfile.js';
export { launch, freePorts, remoteScript, sshCommand, shellQuote, type LaunchOptions, type LaunchResult, type RankExit } from './launcher.js';
