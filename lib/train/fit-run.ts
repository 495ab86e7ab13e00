/**
 * A running fit(): awaitable for its summary and async-iterable over its progress reports.
 *   const summary = await model.fit(train);                 // just the result
 *   for await (const p of model.fit(train)) console.log(p)  // progress as it comes, ends when training ends
 * Reports are buffered from the start, so iteration may begin after training has.
 */
import type { TextEncoderAdapter } from '../text/bert-lora.js';
import type { FitProgress } from './fit-options.js';
import type { ValidationSummary } from './validation.js';

export interface ParameterGroupCount {
  /** parameters (scalars) in the group */
  parameters: number;
  /** tensors in the group */
  tensors: number;
}

export interface FitSummary {
  /** optimizer steps done in the run so far (this call and any before it, when resuming) */
  steps: number;
  /** steps the whole run takes */
  totalSteps: number;
  /** loss of each step of this call */
  losses: Float32Array;
  /** wall time of this call */
  elapsedSec: number;
  /** mean training throughput of this call */
  sequencesPerSec: number;
  /** AdamW groups: decay (matrices, embeddings) and no decay (biases, LayerNorm) */
  parameterGroups: { decay: ParameterGroupCount; noDecay: ParameterGroupCount };
  /** learning curve, best validation and early stopping, when fit ran with `validation` */
  validation?: ValidationSummary;
  /** with options.textEncoder: the encoder's LoRA adapter as trained (the best validated one when restored) */
  textAdapter?: TextEncoderAdapter;
  /** with options.profile: where this call's steps spent their wall time */
  profile?: StepProfile;
}

/** Wall time of a fit call's steps by phase, in seconds, summed over the steps (fit's `profile` option). */
export interface StepProfile {
  /** batches sampled (natively) and copied to the device */
  sampleSec: number;
  /** item table and transformer forward (and the text encoder, end to end) */
  forwardSec: number;
  /** the fused cross-entropy: logits in chunks, softmax, and both its gradients (computed in its forward) */
  lossSec: number;
  /** autograd backward through the transformer and the item table */
  backwardSec: number;
  /** gradient clipping and the AdamW update */
  optimizerSec: number;
}

export class FitRun implements PromiseLike<FitSummary>, AsyncIterable<FitProgress> {
  readonly #buffer: FitProgress[] = [];
  readonly #waiters: Array<(r: IteratorResult<FitProgress>) => void> = [];
  #done = false;
  readonly #result: Promise<FitSummary>;

  /** @internal `start` gets the function to call with each report. */
  constructor(start: (push: (p: FitProgress) => void) => Promise<FitSummary>) {
    this.#result = start((p) => this.#push(p));
    const finish = () => {
      this.#done = true;
      for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
    };
    this.#result.then(finish, finish);
  }

  then<A = FitSummary, B = never>(
    onFulfilled?: ((value: FitSummary) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#result.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<FitSummary | B> {
    return this.#result.catch(onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FitProgress> {
    for (;;) {
      const next = this.#buffer.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#done) break;
      const r = await new Promise<IteratorResult<FitProgress>>((resolve) => this.#waiters.push(resolve));
      if (r.done) break;
      yield r.value;
    }
    await this.#result; // surface a failure to the iterating code
  }

  #push(p: FitProgress): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: p, done: false });
    else this.#buffer.push(p);
  }
}
