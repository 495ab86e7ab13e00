/**
 * Crash-safe file replacement: write a sibling temp file, fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a power cut. Readers see either the old
 * file or the new one, never a torn mix. Parent directories are not created: a missing directory
 * is almost always a typo in a checkpoint path, and silently creating it hides that.
 * A writer killed mid-write (a crash, SIGKILL, power loss) leaves its temp file behind; the next write
 * of the same target removes such leftovers: temp files of the target whose process is gone, or of
 * this process but no longer being written.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SeqrecError, isSeqrecError } from '../errors.js';

/** Atomically replace `path` with `data`. Throws E_ABORTED if `signal` aborts before the rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = opts;
  throwIfAborted(signal, path);
  const dir = dirname(path);
  await removeStaleTemporaries(dir, basename(path));
  const tmp = join(dir, `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  writing.add(tmp);
  try {
    // 'wx' so two writers can never share a temp file, however unlikely the name clash.
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data, signal ? { signal } : {});
      await fh.sync();
    } finally {
      await fh.close();
    }
    throwIfAborted(signal, path);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw asWriteError(e, path, dir, signal);
  } finally {
    writing.delete(tmp);
  }
  await syncDirectory(dir, path);
}

/** Temp files this process is writing now (two saves of one target may overlap). */
const writing = new Set<string>();

/** Delete `<name>.tmp-<pid>-<hex>` files left by writers that died; never one still being written. */
async function removeStaleTemporaries(dir: string, name: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]); // a missing dir is reported by the write itself
  const prefix = `${name}.tmp-`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const match = /^(\d+)-[0-9a-f]{12}$/.exec(entry.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    const tmp = join(dir, entry);
    if (pid === process.pid ? writing.has(tmp) : processAlive(pid)) continue;
    await rm(tmp, { force: true }).catch(() => undefined); // best effort: a leftover is harmless
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * E_INVALID_OPTION naming `option` unless `path` can be written: its directory exists and takes a new
 * file (created and removed here, as a temp file of the target would be), and `path` is no directory.
 * For commands that write their output only after long work, so they fail before it, not after.
 */
export async function checkWritable(path: string, option: string): Promise<void> {
  const dir = dirname(path);
  const refuse = (why: string, cause?: unknown) =>
    new SeqrecError('E_INVALID_OPTION', `${option}: cannot write ${path}: ${why}`, { option, path }, cause === undefined ? undefined : { cause });
  if ((await stat(path).catch(() => undefined))?.isDirectory()) throw refuse('it is a directory');
  const probe = join(dir, `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw refuse(code === 'ENOENT' || code === 'ENOTDIR' ? `directory ${dir} does not exist` : (e as Error).message, e);
  }
  await rm(probe, { force: true });
}

function throwIfAborted(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) {
    throw new SeqrecError('E_ABORTED', `Writing ${path} was aborted; the file was left unchanged`, { path }, { cause: signal.reason });
  }
}

function asWriteError(e: unknown, path: string, dir: string, signal: AbortSignal | undefined): SeqrecError {
  if (isSeqrecError(e)) return e;
  if ((e as { name?: unknown }).name === 'AbortError' || signal?.aborted) {
    return new SeqrecError('E_ABORTED', `Writing ${path} was aborted; the file was left unchanged`, { path }, { cause: e });
  }
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new SeqrecError('E_CHECKPOINT', `Cannot write ${path}: directory ${dir} does not exist`, { path, directory: dir }, { cause: e });
  }
  const why = e instanceof Error ? e.message : String(e);
  return new SeqrecError('E_CHECKPOINT', `Cannot write ${path}: ${why}`, { path, errno: code }, { cause: e });
}

// Codes with which platforms refuse to open or fsync a directory (Windows, some network and FUSE
// filesystems). The data is already renamed into place; only the durability guarantee is weaker there.
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'EBADF', 'ENOTSUP', 'EOPNOTSUPP']);

async function syncDirectory(dir: string, path: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && DIR_SYNC_UNSUPPORTED.has(code)) return;
    const why = e instanceof Error ? e.message : String(e);
    throw new SeqrecError('E_CHECKPOINT', `Wrote ${path} but could not fsync directory ${dir}: ${why}`, { path, errno: code }, { cause: e });
  }
}
