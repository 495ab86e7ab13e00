/**
 * The README's "Use it" example, run as a user would: copied verbatim into an ES module of a fresh
 * folder that depends on seqrec (a node_modules link to this package, so `import 'seqrec'` goes
 * through package.json "exports" to the built dist/), on the Node running the tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const root = resolve(import.meta.dirname, '../..');
const dir = tempDir('readme');

it("the README's example runs as written on this Node", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'a ```js block under "## Use it"').toBeDefined();
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'seqrec'), 'dir');
  writeFileSync(join(dir, 'example.mjs'), code!);
  const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/\d+ steps; NDCG@10 0\.\d{4}/);
  expect(r.stdout).toContain('item:');
  console.log(`README example on Node ${process.versions.node}: ${/\d+ steps; NDCG@10 0\.\d{4}/.exec(r.stdout)![0]}`);
});
