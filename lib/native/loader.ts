/**
 * Loads the native addon once. Looks for build/Release/seqrec.node in the package root (found by
 * walking up to seqrec's package.json), or at SEQREC_ADDON when set (e.g. a CUDA build made with
 * plain CMake). Failures become SeqrecError E_NATIVE_LOAD with what to install.
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SeqrecError } from '../errors.js';
import type { AddonModule } from './raw.js';

let cached: AddonModule | undefined;

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'seqrec') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new SeqrecError('E_NATIVE_LOAD', 'cannot find the seqrec package root');
    dir = parent;
  }
}

export function addon(): AddonModule {
  if (cached) return cached;
  const path = process.env.SEQREC_ADDON ?? join(packageRoot(), 'build', 'Release', 'seqrec.node');
  try {
    cached = createRequire(import.meta.url)(path) as AddonModule;
  } catch (cause) {
    const missing = !existsSync(path);
    throw new SeqrecError(
      'E_NATIVE_LOAD',
      missing
        ? `The seqrec native addon is not built (${path} is missing). Run \`npm run build:native\`; it needs LibTorch ` +
            '(Debian/Ubuntu: apt-get install -y cmake g++ libtorch-dev libopenblas0-openmp).'
        : `The seqrec native addon at ${path} failed to load: ${(cause as Error).message}. ` +
            'If a LibTorch library is missing, reinstall it (Debian/Ubuntu: apt-get install -y libtorch-dev) and rebuild.',
      { path },
      { cause },
    );
  }
  // process.exit() runs no addon cleanup hook: it calls exit(), whose destructors would take LibTorch
  // down under a fit or ranking still running (SIGSEGV). The 'exit' event comes first: stop them there.
  // (A worker's own teardown stops its jobs natively; this stops only this thread's.)
  const loaded = cached;
  process.on('exit', () => loaded.stopJobs());
  return cached;
}
