#!/usr/bin/env node
// Builds the LibTorch addon (build/Release/seqrec.node) with cmake-js, the `install` step of the
// package. Skips the build when the addon is newer than every native source (pass --force to
// rebuild). LibTorch discovery and its error message live in cmake/FindLibTorch.cmake.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'seqrec.node');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const inputs = Math.max(newestSource(join(root, 'native')), newestSource(join(root, 'cmake')), statSync(join(root, 'CMakeLists.txt')).mtimeMs);
if (!process.argv.includes('--force') && existsSync(addon) && statSync(addon).mtimeMs > inputs) {
  console.log('seqrec: native addon is up to date');
  process.exit(0);
}

let cmakeJs;
try {
  cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js'); // hoisted when seqrec is a dependency
} catch {
  console.error('seqrec: cmake-js is missing; run `npm install` first');
  process.exit(1);
}
const jobs = String(Math.max(1, Math.min(availableParallelism(), 8)));
// ccache, when installed, makes a rebuild of unchanged sources (a fresh clone included: paths are
// taken relative to the package) a matter of seconds.
const ccache = spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status === 0;
const launcher = ccache ? ['--CDCMAKE_CXX_COMPILER_LAUNCHER=ccache'] : [];
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', root, '--parallel', jobs, ...launcher], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, ...(ccache && { CCACHE_BASEDIR: root }) },
});
if (result.status !== 0) {
  console.error(
    '\nseqrec: building the native addon failed. Where LibTorch was not found (the CMake message above says so),\n' +
      'put PyTorch 2.x into a virtualenv of your project and rebuild:\n' +
      '  python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu && npm rebuild seqrec\n' +
      '(README.md, "Install as a dependency", lists the other ways.)',
  );
  process.exit(result.status ?? 1);
}
