/**
 * One error class for everything seqrec throws, with a stable `code` callers can switch on.
 * Native failures arrive as plain objects `{ code, message }` and are re-thrown here with the
 * caller's stack (captured before the native call, as sharp does).
 */

/** Stable error codes. Add new ones at the end; never rename. */
export const ErrorCodes = [
  'E_INVALID_OPTION', // an option or argument has the wrong type, range or combination
  'E_INVALID_DATA', // a data file or array is malformed (names file, line and field)
  'E_OOM', // the device ran out of memory
  'E_NONFINITE', // the loss or a gradient became NaN/Inf; the step was not applied
  'E_DISPOSED', // the object was used after dispose()
  'E_BUSY', // the model is training; the call would race with it
  'E_ABORTED', // the work was cancelled through an AbortSignal
  'E_NATIVE_LOAD', // the native addon (or LibTorch) could not be loaded
  'E_CHECKPOINT', // a checkpoint file is missing, truncated or does not match the model
  'E_NATIVE', // any other failure inside LibTorch
  'E_MISSING_DEPENDENCY', // an optional package (e.g. hyparquet for Parquet) or tool is not installed
] as const;
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

/** The synchronous twin of callNative for cheap native calls (getters, dispose). */
export function callNativeSync<T>(run: () => T): T {
  const callerStack = new Error();
  try {
    return run();
  } catch (e) {
    throw fromNative(e, callerStack);
  }
}
