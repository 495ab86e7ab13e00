/**
 * Hugging Face BERT folders: a tiny seeded checkpoint (../helpers/tiny-bert.ts) loads into canonical names in
 * forward order with the exact values, whatever the key prefix, LayerNorm spelling, storage dtype
 * or extra heads; F16/BF16 decoding on hand-picked bit patterns; and every error case names the
 * file, the field or key, and the shapes.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSeqrecError } from '../../lib/errors.js';
import { tensorBytes, type TensorRecord } from '../../lib/io/safetensors.js';
import { bertTensorSpecs } from '../../lib/text/bert-config.js';
import { readHfBert, toFloat32 } from '../../lib/text/hf-bert.js';
import { removeTinyBerts, TINY_CONFIG, TINY_VOCAB, writeTinyBert, type TinyBertOptions } from '../helpers/tiny-bert.js';

afterAll(removeTinyBerts);

async function loadError(options: TinyBertOptions, code: 'E_CHECKPOINT' | 'E_INVALID_DATA' = 'E_CHECKPOINT'): Promise<{ message: string; folder: string }> {
  const { folder } = await writeTinyBert(options);
  const error = await readHfBert(folder).catch((e: unknown) => e as Error);
  expect(isSeqrecError(error, code)).toBe(true);
  return { message: (error as Error).message, folder };
}

describe('readHfBert', () => {
  it('loads config, tokenizer and every encoder tensor in forward order', async () => {
    const tiny = await writeTinyBert({ seed: 3 });
    const bert = await readHfBert(tiny.folder);
    expect(bert.config).toEqual({
      hiddenSize: 8,
      numLayers: 2,
      numHeads: 2,
      intermediateSize: 12,
      vocabSize: TINY_VOCAB.length,
      maxPositions: 16,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
    });
    // 5 embedding tensors + 16 per layer
    expect(bert.tensors.length).toBe(5 + 16 * 2);
    expect(bert.tensors.slice(0, 6).map((t) => t.name)).toEqual([
      'embeddings.word_embeddings.weight',
      'embeddings.position_embeddings.weight',
      'embeddings.token_type_embeddings.weight',
      'embeddings.LayerNorm.weight',
      'embeddings.LayerNorm.bias',
      'encoder.layer.0.attention.self.query.weight',
    ]);
    expect(bert.tensors.map((t) => t.name)).toEqual([...tiny.weights.keys()]);
    for (const t of bert.tensors) expect(t.data).toEqual(tiny.weights.get(t.name));
    expect(bert.tensors.find((t) => t.name === 'encoder.layer.1.intermediate.dense.weight')!.shape).toEqual([12, 8]);
    expect(bert.tensors.find((t) => t.name === 'encoder.layer.1.output.dense.weight')!.shape).toEqual([8, 12]);
    expect(bert.tokenizer.tokenize('Toy Story')).toEqual(['toy', 'story']);
    expect(bert.ignoredKeys).toEqual([]);
  });

  it.each([
    ['bert. prefix with heads and buffers', { prefix: 'bert.', extras: true }],
    ['no prefix with heads and buffers', { prefix: '', extras: true }],
    ['gamma/beta LayerNorm names', { prefix: 'bert.', gammaBeta: true }],
    ['F16 storage', { dtype: 'F16' }],
    ['BF16 storage', { dtype: 'BF16' }],
    ['tokenizer.json only', { tokenizer: 'tokenizer.json' }],
  ] as [string, TinyBertOptions][])('reads the same tensors from %s', async (_, options) => {
    const reference = await readHfBert((await writeTinyBert({ seed: 5 })).folder);
    const variant = await readHfBert((await writeTinyBert({ seed: 5, ...options })).folder);
    expect(variant.tensors).toEqual(reference.tensors);
    expect(variant.tokenizer.encode('Toy Story').ids).toEqual(reference.tokenizer.encode('Toy Story').ids);
  });

  it('reports the keys it ignored', async () => {
    const bert = await readHfBert((await writeTinyBert({ prefix: 'bert.', extras: true })).folder);
    expect(bert.ignoredKeys.sort()).toEqual([
      'bert.embeddings.position_ids',
      'bert.pooler.dense.bias',
      'bert.pooler.dense.weight',
      'cls.predictions.bias',
      'cls.predictions.transform.LayerNorm.bias',
      'cls.predictions.transform.LayerNorm.weight',
      'cls.predictions.transform.dense.bias',
      'cls.predictions.transform.dense.weight',
    ]);
  });

  it('lists the spec of a config as the fixture writes it', () => {
    const specs = bertTensorSpecs({
      hiddenSize: 8,
      numLayers: 1,
      numHeads: 2,
      intermediateSize: 12,
      vocabSize: 30,
      maxPositions: 16,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
    });
    expect(specs.map((s) => `${s.name} [${s.shape.join(',')}]`).slice(5)).toEqual([
      'encoder.layer.0.attention.self.query.weight [8,8]',
      'encoder.layer.0.attention.self.query.bias [8]',
      'encoder.layer.0.attention.self.key.weight [8,8]',
      'encoder.layer.0.attention.self.key.bias [8]',
      'encoder.layer.0.attention.self.value.weight [8,8]',
      'encoder.layer.0.attention.self.value.bias [8]',
      'encoder.layer.0.attention.output.dense.weight [8,8]',
      'encoder.layer.0.attention.output.dense.bias [8]',
      'encoder.layer.0.attention.output.LayerNorm.weight [8]',
      'encoder.layer.0.attention.output.LayerNorm.bias [8]',
      'encoder.layer.0.intermediate.dense.weight [12,8]',
      'encoder.layer.0.intermediate.dense.bias [12]',
      'encoder.layer.0.output.dense.weight [8,12]',
      'encoder.layer.0.output.dense.bias [8]',
      'encoder.layer.0.output.LayerNorm.weight [8]',
      'encoder.layer.0.output.LayerNorm.bias [8]',
    ]);
  });
});

describe('toFloat32', () => {
  const record = (dtype: 'F16' | 'BF16' | 'I32', bits: number[]): TensorRecord => ({
    name: 't',
    dtype,
    shape: [bits.length],
    data: dtype === 'I32' ? tensorBytes(Int32Array.from(bits)) : tensorBytes(Uint16Array.from(bits)),
  });

  it('decodes F16 normals, subnormals, zeros and specials', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x3555 = 0.333251953125, 0x7bff = 65504 (max), 0x0001 = 2^-24, 0x0400 = 2^-14
    const out = toFloat32(record('F16', [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00]));
    expect([...out.slice(0, 7)]).toEqual([1, -2, 0.333251953125, 65504, 2 ** -24, 2 ** -14, -0]);
    expect([out[7], out[8], Number.isNaN(out[9])]).toEqual([Infinity, -Infinity, true]);
  });

  it('decodes BF16 as the top half of float32', () => {
    // 0x3f80 = 1, 0xc0a0 = -5, 0x3e20 = 0.15625, 0x7f80 = Infinity
    expect([...toFloat32(record('BF16', [0x3f80, 0xc0a0, 0x3e20, 0x7f80]))]).toEqual([1, -5, 0.15625, Infinity]);
  });

  it('rejects other dtypes naming the tensor and source', () => {
    expect(() => toFloat32(record('I32', [1]), 'm.safetensors')).toThrow('m.safetensors: tensor "t" has dtype I32');
  });
});

describe('readHfBert errors', () => {
  const dropKey = (key: string) => (records: TensorRecord[]) => records.filter((r) => r.name !== key);
  const reshape = (key: string, shape: number[]) => (records: TensorRecord[]) => records.map((r) => (r.name === key ? { ...r, shape } : r));

  it('names a missing key and the file', async () => {
    const { message, folder } = await loadError({ editTensors: dropKey('encoder.layer.1.attention.self.key.bias') });
    expect(message).toContain(join(folder, 'model.safetensors'));
    expect(message).toContain('missing key "encoder.layer.1.attention.self.key.bias"');
    expect(message).toContain('1 problem(s)');
  });

  it('names the gamma spelling as an alternative for a missing LayerNorm key', async () => {
    const { message } = await loadError({ prefix: 'bert.', editTensors: dropKey('bert.embeddings.LayerNorm.weight') });
    expect(message).toContain('missing key "bert.embeddings.LayerNorm.weight" (or "bert.embeddings.LayerNorm.gamma")');
  });

  it('names a wrong shape with expected and actual', async () => {
    // [12, 8] stored as [8, 12]: same byte count, so only the shape check can catch it
    const { message } = await loadError({ editTensors: reshape('encoder.layer.0.intermediate.dense.weight', [8, 12]) });
    expect(message).toContain('key "encoder.layer.0.intermediate.dense.weight" has shape [8, 12]; expected [12, 8]');
  });

  it('rejects extra encoder keys, such as a layer beyond num_hidden_layers', async () => {
    const { message } = await loadError({ config: { num_hidden_layers: 1 } });
    expect(message).toContain('16 problem(s)');
    expect(message).toContain('unexpected key "encoder.layer.1.attention.self.query.weight"');
  });

  it('rejects weights missing for a deeper config, listing the first problems and a count', async () => {
    const { message } = await loadError({ config: { num_hidden_layers: 3 } });
    expect(message).toContain('16 problem(s)');
    expect(message).toContain('and 4 more');
  });

  it('rejects both spellings at once and a non-float dtype', async () => {
    const duplicate = (records: TensorRecord[]) => [
      ...records,
      { ...records.find((r) => r.name === 'embeddings.LayerNorm.weight')!, name: 'embeddings.LayerNorm.gamma' },
    ];
    expect((await loadError({ editTensors: duplicate })).message).toContain('both "embeddings.LayerNorm.weight" and "embeddings.LayerNorm.gamma" are present');
    const toInt = (records: TensorRecord[]) => records.map((r) => (r.name === 'embeddings.LayerNorm.bias' ? { ...r, dtype: 'I32' as const } : r));
    expect((await loadError({ editTensors: toInt })).message).toContain('key "embeddings.LayerNorm.bias" has dtype I32; expected F32, F16 or BF16');
  });

  it.each([
    [{ hidden_size: undefined }, 'hidden_size is missing; expected a positive integer'],
    [{ hidden_size: 8.5 }, 'hidden_size is 8.5'],
    [{ num_attention_heads: 3 }, 'num_attention_heads is 3; expected a divisor of hidden_size (8)'],
    [{ intermediate_size: 0 }, 'intermediate_size is 0'],
    [{ vocab_size: '28' }, 'vocab_size is "28"'],
    [{ max_position_embeddings: undefined }, 'max_position_embeddings is missing'],
    [{ type_vocab_size: -1 }, 'type_vocab_size is -1'],
    [{ num_hidden_layers: null }, 'num_hidden_layers is null'],
    [{ layer_norm_eps: 0 }, 'layer_norm_eps is 0; expected a number in (0, 1)'],
    [{ hidden_act: 'swish' }, 'hidden_act is "swish"; expected one of "gelu", "gelu_new", "relu"'],
    [{ model_type: 'roberta' }, 'model_type is "roberta"'],
    [{ position_embedding_type: 'relative_key' }, 'position_embedding_type is "relative_key"'],
    [{ vocab_size: 10 }, 'has ids up to 27 but'],
  ])('rejects config.json %j naming the field and file', async (config, message) => {
    const { message: actual, folder } = await loadError({ config });
    expect(actual).toContain(message);
    expect(actual).toContain(join(folder, 'config.json'));
  });

  it('accepts a config without model_type and with gelu_new', async () => {
    const { folder } = await writeTinyBert({ config: { model_type: undefined, hidden_act: 'gelu_new' } });
    expect((await readHfBert(folder)).config.hiddenAct).toBe('gelu_new');
  });

  it('rejects a folder without a tokenizer with E_INVALID_DATA', async () => {
    const { message, folder } = await loadError({ tokenizer: 'none' }, 'E_INVALID_DATA');
    expect(message).toBe(`no tokenizer in ${folder}: expected tokenizer.json or vocab.txt`);
  });

  it('rejects a folder without config.json or model.safetensors', async () => {
    const tiny = await writeTinyBert();
    rmSync(join(tiny.folder, 'model.safetensors'));
    await expect(readHfBert(tiny.folder)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: `no model.safetensors in ${tiny.folder}` });
    rmSync(join(tiny.folder, 'config.json'));
    await expect(readHfBert(tiny.folder)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringContaining('no config.json in') });
    await expect(readHfBert('')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('keeps TINY_CONFIG consistent with the vocabulary', () => {
    expect(TINY_CONFIG.vocab_size).toBe(TINY_VOCAB.length);
  });
});
