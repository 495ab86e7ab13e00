/**
 * One error class for everything seqrec throws, with a stable `code` callers can switch on.
 * Native failures arrive as plain objects `{ code, message }` and are re-thrown here with the
 * caller's stack (captured before the native call, as sharp does).
 */

import { ErrorCodes } from './native/error-codes.js';

export { ErrorCodes };
export type ErrorCode = (typeof ErrorCodes)[number];

export class SeqrecError extends Error {
  override readonly name = 'SeqrecError';
  readonly code: ErrorCode;
  /** Extra machine-readable facts: the option name, the file and line, the step… */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isSeqrecError(e: unknown, code?: ErrorCode): e is SeqrecError {
  return e instanceof SeqrecError && (code === undefined || e.code === code);
}

/**
 * Turn whatever a native call rejected with into a SeqrecError whose stack is `callerStack`
 * (an Error made before the call, so the trace points at user code, not at a libuv callback).
 */
export function fromNative(raw: unknown, callerStack: Error): SeqrecError {
  const obj = (raw ?? {}) as { code?: unknown; message?: unknown };
  const code = (ErrorCodes as readonly string[]).includes(String(obj.code)) ? (obj.code as ErrorCode) : 'E_NATIVE';
  const message = typeof obj.message === 'string' ? obj.message : String(raw);
  const err = raw instanceof SeqrecError ? raw : new SeqrecError(code, message, {}, { cause: raw });
  return withCallerStack(err, callerStack);
}

/** Give `err` the frames of `callerStack` (an Error made where the user called in). */
export function withCallerStack(err: SeqrecError, callerStack: Error): SeqrecError {
  err.stack = `${err.name} [${err.code}]: ${err.message}\n${(callerStack.stack ?? '').split('\n').slice(1).join('\n')}`;
  return err;
}

/** Await a native promise (or run a native call) and map its failure to a SeqrecError with the caller's stack. */
export async function callNative<T>(run: () => Promise<T> | T): Promise<T> {
  const callerStack = new Error();
  try {
    return await run();
  } catch (e) {
    throw fromNative(e, callerStack);
  }
}

/**
 * The synchronous twin of callNative for cheap native calls (getters, dispose, a session's quick step).
 * The caller is still on the stack when a synchronous call throws, so the stack is taken then: taking
 * it up front cost more than the native call itself on a busy server's hot path.
 */
export function callNativeSync<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw fromNative(e, new Error());
  }
}
