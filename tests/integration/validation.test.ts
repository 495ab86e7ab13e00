import { describe, expect, it } from 'vitest';
import { SASRec, isSeqrecError, syntheticDataset } from '../../lib/index.js';

const data = syntheticDataset({ users: 300, items: 120, minLength: 12, maxLength: 24, seed: 5 });
const { train, valid } = data.split('leave-one-out');
const modelOptions = { items: data.numItems, dim: 16, layers: 1, heads: 2, maxLen: 20, seed: 3, threads: 1 };
const fitOptions = { epochs: 6, batchSize: 64, lr: 5e-3, warmupSteps: 4 };

describe('fit with validation', () => {
  it('trains exactly the same run as without validation, validating every 2 epochs', async () => {
    await using plain = await SASRec.create(modelOptions);
    const reference = await plain.fit(train, fitOptions);

    await using model = await SASRec.create(modelOptions);
    const summary = await model.fit(train, {
      ...fitOptions,
      validation: { data: valid, every: 2, patience: 0, restoreBest: false },
    });
    expect(Array.from(summary.losses)).toEqual(Array.from(reference.losses));
    const v = summary.validation!;
    expect(v.history.map((r) => r.epoch)).toEqual([2, 4, 6]);
    const perEpoch = Math.ceil(train.numUsers / 64);
    expect(v.history.map((r) => r.step)).toEqual([2, 4, 6].map((e) => e * perEpoch));
    expect(v.best.value).toBe(Math.max(...v.history.map((r) => r.value)));
    expect(v.stoppedEarly).toBe(false);
    const after = await model.evaluate(valid);
    expect(after.metrics['ndcg@10']).toBe(v.history.at(-1)!.value);
  });

  it('stops early after `patience` validations without improvement and restores the best weights', async () => {
    await using model = await SASRec.create(modelOptions);
    // A learning rate this high makes validation NDCG fall after the first epochs.
    const summary = await model.fit(train, {
      epochs: 30,
      batchSize: 64,
      lr: 0.5,
      clipNorm: 0,
      schedule: 'constant',
      validation: { data: valid, every: 1, patience: 2, metric: 'hr@10' },
    });
    const v = summary.validation!;
    const bestIndex = v.history.indexOf(v.best);
    if (v.stoppedEarly) expect(v.history.length).toBe(bestIndex + 1 + 2);
    else expect(v.history.length).toBe(30);
    const { metrics } = await model.evaluate(valid);
    expect(metrics['hr@10']).toBe(v.best.value);
    expect(model.info().trainStep).toBe(v.best.step);
  });

  it('rejects a bad metric or missing data naming the option', async () => {
    await using model = await SASRec.create(modelOptions);
    for (const [validation, option] of [
      [{ data: valid, metric: 'ndcg10' }, 'options.validation.metric'],
      [{ data: undefined }, 'options.validation.data'],
      [{ data: valid, paitence: 3 }, 'options.validation.paitence'],
    ] as const) {
      const error = await model.fit(train, { ...fitOptions, validation: validation as never }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSeqrecError(error, 'E_INVALID_OPTION')).toBe(true);
      expect((error as Error).message).toContain(option);
    }
  });
});
