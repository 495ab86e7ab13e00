/** Build and runtime facts: seqrec, LibTorch, CUDA and device name, threads, Node-API, SDPA, distributed training. */
import { callNativeSync } from './errors.js';
import { addon } from './native/loader.js';

/** The addon's Versions record (bindings/spec.ts), declared here so the published types hold no raw addon type. */
export interface Versions {
  /** (str) addon version */
  seqrec: string;
  /** (str) LibTorch version */
  torch: string;
  /** (bool) a CUDA device is usable */
  cuda: boolean;
  /** (int) number of CUDA devices */
  cudaDevices: number;
  /** (str) name of CUDA device 0, or "cpu" */
  deviceName: string;
  /** (int) LibTorch intra-op threads */
  threads: number;
  /** (int) Node-API version of the running Node */
  napi: number;
  /** (bool) LibTorch has scaled_dot_product_attention */
  sdpa: boolean;
  /** (bool) fit's `distributed` option works: the addon was built with Gloo's headers (apt install libgloo-dev) */
  distributed: boolean;
}

export function versions(): Versions {
  return callNativeSync(() => addon().versions());
}
