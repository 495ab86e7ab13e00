import { defineConfig } from 'tsup';

// Library as ESM + CJS with declarations; the CLI as one ESM entry with a shebang.
// hyparquet is an optionalDependency, which tsup would bundle: keep it a runtime import so a missing one is reported.
export default defineConfig([
  {
    entry: { index: 'lib/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node18',
    shims: true,
    external: ['hyparquet'],
  },
  {
    entry: { cli: 'lib/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    banner: { js: '#!/usr/bin/env node' },
    external: ['hyparquet'],
  },
]);
