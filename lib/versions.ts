/** Build and runtime facts: seqrec, LibTorch, CUDA, threads, Node-API. */
import { callNativeSync } from './errors.js';
import { addon } from './native/loader.js';

export interface Versions {
  /** seqrec version the addon was built as */
  seqrec: string;
  /** LibTorch version */
  torch: string;
  /** a CUDA device is usable */
  cuda: boolean;
  /** number of CUDA devices */
  cudaDevices: number;
  /** CUDA device 0's name, or "cpu" */
  deviceName: string;
  /** LibTorch intra-op threads of the calling thread */
  threads: number;
  /** Node-API version of this Node */
  napi: number;
  /** LibTorch has scaled_dot_product_attention */
  sdpa: boolean;
}

export function versions(): Versions {
  return callNativeSync(() => addon().versions());
}
