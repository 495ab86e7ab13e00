/** Test helpers: the SeqrecError a promise rejects with or a call throws, failing the test when there is none. */
import { expect } from 'vitest';
import { isSeqrecError, type SeqrecError } from '../lib/errors.js';

export async function rejection(p: PromiseLike<unknown>): Promise<SeqrecError> {
  try {
    await p;
  } catch (e) {
    expect(isSeqrecError(e), `not a SeqrecError: ${String(e)}`).toBe(true);
    return e as SeqrecError;
  }
  throw new Error('expected a rejection');
}

export function thrown(f: () => unknown): SeqrecError {
  try {
    f();
  } catch (e) {
    expect(isSeqrecError(e), `not a SeqrecError: ${String(e)}`).toBe(true);
    return e as SeqrecError;
  }
  throw new Error('expected a throw');
}
