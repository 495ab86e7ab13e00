/**
 * Ending a JavaScript environment while native work runs, in child processes: process.exit() on the
 * main thread, worker.terminate(), and process.exit() inside a worker, each during fit, evaluate,
 * recommend batches, save and text encoding. The child's exit code must be the one asked for (no
 * SIGSEGV 139, no abort 134), and a worker must end within about one training step or batch while
 * the call it interrupts would run for many seconds; the parent then uses seqrec again.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const fixture = join(import.meta.dirname, 'fixtures', 'long-call.ts');
const dir = tempDir('exit');

function child(call: string, ending: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fixture, call, ending], {
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, SEQREC_FIXTURE_DIR: dir },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const CALLS = ['fit', 'evaluate', 'recommend', 'save', 'encode'] as const;

describe.each(CALLS)('ending the environment during %s', (call) => {
  it('process.exit(7) on the main thread exits with 7', () => {
    const r = child(call, 'exit');
    expect(r.stdout + r.stderr).toContain('running'); // the call was in flight, not finished
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 7, signal: null });
  });

  it.each(['terminate', 'worker-exit'])('%s of its worker ends it promptly; the parent survives and uses seqrec', (ending) => {
    const r = child(call, ending);
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { endedMs: number; exitCode: number; recommended: number };
    console.log(`${call}, ${ending}: the worker ended ${result.endedMs.toFixed(0)} ms after the request (exit code ${result.exitCode})`);
    expect(result.exitCode).toBe(ending === 'terminate' ? 1 : 5);
    expect(result.endedMs).toBeLessThan(2000);
    expect(result.recommended).toBe(3);
  });
});
