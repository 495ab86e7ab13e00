/**
 * `seqrec train --nproc N`: N local processes of the same command, each one rank of a distributed fit
 * (lib/train/distributed.ts), meeting at 127.0.0.1 on a free port. Each gets its share of the cores
 * unless --threads says otherwise. Rank 0 writes to this terminal and saves the model; the others'
 * output is shown only if they fail. The first rank to fail ends the others.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

/** A port nothing listens on now (the OS's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Run `args` (the CLI's arguments without --nproc) as `n` ranks; resolve with the exit code to report. */
export async function launchRanks(n: number, args: string[], cli: string): Promise<number> {
  const port = await freePort();
  const threads = args.includes('--threads') ? [] : ['--threads', String(Math.max(1, Math.floor(availableParallelism() / n)))];
  const children = Array.from({ length: n }, (_, rank) => {
    const child = spawn(process.execPath, [cli, ...args, '--distributed', ...threads], {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(n), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) },
      stdio: rank === 0 ? 'inherit' : ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (d) => (errors += d));
    return { child, done: new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))), errors: () => errors };
  });
  const codes = await Promise.all(
    children.map(({ done }, rank) =>
      done.then((code) => {
        if (code !== 0) for (const other of children) other.child.kill('SIGTERM'); // the others would only wait out the timeout
        if (code !== 0 && rank > 0) process.stderr.write(`seqrec: rank ${rank} ended with ${code}:\n${children[rank]!.errors()}`);
        return code;
      }),
    ),
  );
  return codes.find((code) => code !== 0) ?? 0;
}
