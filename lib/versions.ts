/** Build and runtime facts: seqrec, LibTorch, CUDA and device name, threads, Node-API, SDPA. */
import { callNativeSync } from './errors.js';
import { addon } from './native/loader.js';
import type { AddonVersions } from './native/raw.js';

/** Field meanings are documented once, in bindings/spec.ts (record Versions). */
export type Versions = AddonVersions;

export function versions(): Versions {
  return callNativeSync(() => addon().versions());
}
