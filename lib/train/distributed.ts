/**
 * Data-parallel training across processes (native/train/data_parallel.h): which rank this process is,
 * how many train together and where rank 0 listens, from fit's `distributed` option or, as PyTorch's
 * launchers set them, the RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT environment variables.
 * Every rank runs the same fit on the same data; the ranks split each step's micro-batches between
 * them and average their gradients, so N ranks with batch B train as one process with batch N·B.
 */
import type { AddonFitRequest } from '../native/raw.js';
import { boolean, integer, invalid, noUnknownKeys, oneOf, optionsObject } from '../validate.js';

export interface DistributedOptions {
  /** (int) this process's rank, 0 … worldSize − 1; rank 0 hosts the rendezvous. Default: $RANK. */
  rank?: number;
  /** (int) processes training together. Default: $WORLD_SIZE. */
  worldSize?: number;
  /** (str) the address of rank 0 as every rank reaches it. Default: $MASTER_ADDR, else 127.0.0.1. */
  masterAddr?: string;
  /** (int) the port rank 0 listens on. Default: $MASTER_PORT, else 29500. */
  masterPort?: number;
  /**
   * (int, ms) how long a rank waits for the others (to meet, and in each gradient exchange) before its fit rejects
   * with E_DISTRIBUTED: a rank that died or stalls stops the others within this. Default 60000.
   */
  timeout?: number;
  /** (bool) one blocking all-reduce per parameter after backward instead of buckets (the benchmark's comparison). Default false. */
  naiveReduce?: boolean;
  /** (int) bytes of gradient per bucket after the first, which is at most 1 MiB (PyTorch's bucket_cap_mb). Default 25 MiB. */
  bucketBytes?: number;
  /**
   * (str) how the item table's gradient travels: 'dense' (in the buckets, V × d per step) or 'rows' (each rank's
   * touched rows and their indexes, all-gathered): less on large catalogues trained with a sampled loss, where a
   * step touches few rows; full-softmax CE touches every row. Default 'dense'.
   */
  itemGradient?: 'dense' | 'rows';
}

type DistributedRequest = Pick<
  AddonFitRequest,
  'rank' | 'worldSize' | 'masterAddr' | 'masterPort' | 'distributedTimeoutMs' | 'naiveReduce' | 'bucketBytes' | 'itemRows'
>;

/** A process training alone, and the defaults of every field a distributed fit does not set. */
const ALONE: DistributedRequest = {
  rank: 0,
  worldSize: 1,
  masterAddr: '127.0.0.1',
  masterPort: 29500,
  distributedTimeoutMs: 60_000,
  naiveReduce: false,
  bucketBytes: 25 << 20,
  itemRows: false,
};

/** An environment variable: a number when it is all digits, else the raw string (which the check then names), undefined when unset. */
function fromEnv(env: NodeJS.ProcessEnv, name: string): number | string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

/** options.distributed (an object, or true for the environment alone) as the native request's fields; alone when absent. */
export function resolveDistributed(value: unknown, env: NodeJS.ProcessEnv = process.env): DistributedRequest {
  if (value === undefined || value === false) return ALONE;
  const o = (value === true ? {} : optionsObject('options.distributed', value)) as DistributedOptions;
  noUnknownKeys('options.distributed', o, ['rank', 'worldSize', 'masterAddr', 'masterPort', 'timeout', 'naiveReduce', 'bucketBytes', 'itemGradient']);
  const worldSize = integer('options.distributed.worldSize ($WORLD_SIZE)', o.worldSize ?? fromEnv(env, 'WORLD_SIZE'), 1, 1 << 16);
  const rank = integer('options.distributed.rank ($RANK)', o.rank ?? fromEnv(env, 'RANK'), 0, worldSize - 1);
  const masterAddr = o.masterAddr ?? env.MASTER_ADDR ?? ALONE.masterAddr;
  if (typeof masterAddr !== 'string' || masterAddr.length === 0)
    throw invalid('options.distributed.masterAddr ($MASTER_ADDR)', 'a host name or address', masterAddr);
  return {
    rank,
    worldSize,
    masterAddr,
    masterPort: integer('options.distributed.masterPort ($MASTER_PORT)', o.masterPort ?? fromEnv(env, 'MASTER_PORT') ?? ALONE.masterPort, 1, 65535),
    distributedTimeoutMs: integer('options.distributed.timeout', o.timeout ?? ALONE.distributedTimeoutMs, 1, 2 ** 31 - 1),
    naiveReduce: boolean('options.distributed.naiveReduce', o.naiveReduce ?? ALONE.naiveReduce),
    bucketBytes: integer('options.distributed.bucketBytes', o.bucketBytes ?? ALONE.bucketBytes, 1, 2 ** 40),
    itemRows: oneOf('options.distributed.itemGradient', o.itemGradient ?? 'dense', ['dense', 'rows'] as const) === 'rows',
  };
}
