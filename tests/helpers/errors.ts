/** Test helpers: the SeqrecError a promise rejects with or a call throws, failing the test when there is none. */
import { expect } from 'vitest';
import { isSeqrecError, type SeqrecError } from '../../lib/errors.js';

/** The SeqrecError `p` rejects with, or that calling `p` throws or rejects with. */
export async function rejection(p: PromiseLike<unknown> | (() => unknown)): Promise<SeqrecError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(isSeqrecError(e), `not a SeqrecError: ${String(e)}`).toBe(true);
    return e as SeqrecError;
  }
  throw new Error('expected a rejection');
}

/** The SeqrecError `f` throws synchronously. */
export function thrown(f: () => unknown): SeqrecError {
  try {
    f();
  } catch (e) {
    expect(isSeqrecError(e), `not a SeqrecError: ${String(e)}`).toBe(true);
    return e as SeqrecError;
  }
  throw new Error('expected a throw');
}
