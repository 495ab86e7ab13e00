/**
 * Reads a local Hugging Face BERT folder (config.json, model.safetensors, tokenizer.json or
 * vocab.txt) into what the native BERT encoder takes in one call: the checked config, the
 * tokenizer, and every encoder parameter as float32 under its canonical BertModel name, in the
 * order bert-config.ts lists them. Accepts BertModel keys and the "bert."-prefixed keys of
 * BertForMaskedLM and friends, old gamma/beta LayerNorm names, and F32/F16/BF16 storage; heads
 * (cls.*, pooler, classifier) are ignored and reported. Sharded and .bin checkpoints are not read.
 * Checkpoint problems are E_CHECKPOINT naming file, key and shapes; tokenizer ones E_INVALID_DATA.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SeqrecError } from '../errors.js';
import { asFloat32, readSafetensors, type TensorRecord } from '../io/safetensors.js';
import { invalid } from '../validate.js';
import { bertTensorSpecs, parseBertConfig, type BertConfig, type BertTensorSpec } from './bert-config.js';
import { readJsonObject } from './tokenizer-files.js';
import { loadTokenizer, type WordPieceTokenizer } from './wordpiece.js';

export interface BertTensor {
  /** (str) canonical BertModel name (no "bert." prefix, LayerNorm weight/bias) */
  name: string;
  /** (int[]) shape; Linear weights are (out, in) as in PyTorch */
  shape: number[];
  /** (float32, row-major) the values, converted from F16/BF16 when stored so */
  data: Float32Array;
}

export interface HfBert {
  /** (str) the folder read */
  folder: string;
  /** (object) the checked architecture numbers of config.json */
  config: BertConfig;
  /** (BertTensor[]) every encoder parameter, in bertTensorSpecs(config) order */
  tensors: BertTensor[];
  /** (WordPieceTokenizer) from tokenizer.json, else vocab.txt */
  tokenizer: WordPieceTokenizer;
  /** (str[]) keys of model.safetensors left unused: task heads, the pooler, saved buffers */
  ignoredKeys: string[];
}

// Buffers older transformers versions saved with the weights; they are not parameters.
const BUFFERS = new Set(['embeddings.position_ids', 'embeddings.token_type_ids']);
const ENCODER_KEY = /^(embeddings|encoder)\./;
const SHOWN_PROBLEMS = 12;

/** Read and check a BERT folder; cheap checks (config, tokenizer) run before the weights are read. */
export async function readHfBert(folder: string): Promise<HfBert> {
  if (typeof folder !== 'string' || folder === '') throw invalid('folder', 'a folder path', folder);
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath)) throw new SeqrecError('E_CHECKPOINT', `no config.json in ${folder}; expected a Hugging Face BERT folder`, { file: configPath });
  const config = parseBertConfig(await readJsonObject(configPath, 'E_CHECKPOINT'), configPath);
  const tokenizer = await loadTokenizer(folder);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new SeqrecError(
      'E_CHECKPOINT',
      `the tokenizer in ${folder} has ids up to ${tokenizer.vocabSize - 1} but ${configPath} has vocab_size ${config.vocabSize}`,
      {
        file: configPath,
        field: 'vocab_size',
      },
    );
  }
  const weightsPath = join(folder, 'model.safetensors');
  if (!existsSync(weightsPath)) throw noWeights(folder, weightsPath);
  const { tensors, ignoredKeys } = mapBertTensors((await readSafetensors(weightsPath)).tensors, config, weightsPath);
  return { folder, config, tensors, tokenizer, ignoredKeys };
}

function noWeights(folder: string, weightsPath: string): SeqrecError {
  const hint = existsSync(join(folder, 'model.safetensors.index.json'))
    ? ' (sharded checkpoints are not supported: merge the shards into one file)'
    : existsSync(join(folder, 'pytorch_model.bin'))
      ? ' (pytorch_model.bin is not read: save the model again with safe_serialization=True)'
      : '';
  return new SeqrecError('E_CHECKPOINT', `no model.safetensors in ${folder}${hint}`, { file: weightsPath });
}

/**
 * Match checkpoint records to the canonical BERT parameters. Every missing key, unexpected
 * encoder key, wrong shape or dtype is collected, and all are reported in one E_CHECKPOINT.
 */
export function mapBertTensors(records: readonly TensorRecord[], config: BertConfig, file: string): { tensors: BertTensor[]; ignoredKeys: string[] } {
  const byKey = new Map(records.map((r) => [r.name, r]));
  const prefix = records.some((r) => r.name.startsWith('bert.') && ENCODER_KEY.test(r.name.slice(5))) ? 'bert.' : '';
  const problems: string[] = [];
  const used = new Set<string>();
  const tensors: BertTensor[] = [];
  for (const spec of bertTensorSpecs(config)) {
    const record = findRecord(byKey, prefix, spec.name, problems);
    if (record === undefined) continue;
    used.add(record.name);
    if (checkRecord(record, spec, problems)) tensors.push({ name: spec.name, shape: spec.shape, data: toFloat32(record, file) });
  }
  const ignoredKeys: string[] = [];
  for (const { name } of records) {
    if (used.has(name)) continue;
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (ENCODER_KEY.test(rest) && !BUFFERS.has(rest)) problems.push(`unexpected key "${name}"`);
    else ignoredKeys.push(name);
  }
  if (problems.length > 0) throw mismatch(file, config, problems);
  return { tensors, ignoredKeys };
}

/** The record for a canonical name: prefix + name, or its gamma/beta spelling; undefined (and a problem) otherwise. */
function findRecord(byKey: ReadonlyMap<string, TensorRecord>, prefix: string, name: string, problems: string[]): TensorRecord | undefined {
  const key = prefix + name;
  const old = key.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  const found = [byKey.get(key), old === key ? undefined : byKey.get(old)].filter((r) => r !== undefined);
  if (found.length === 1) return found[0];
  problems.push(found.length === 0 ? `missing key "${key}"${old === key ? '' : ` (or "${old}")`}` : `both "${key}" and "${old}" are present`);
  return undefined;
}

function checkRecord(record: TensorRecord, spec: BertTensorSpec, problems: string[]): boolean {
  let ok = true;
  if (record.dtype !== 'F32' && record.dtype !== 'F16' && record.dtype !== 'BF16') {
    problems.push(`key "${record.name}" has dtype ${record.dtype}; expected F32, F16 or BF16`);
    ok = false;
  }
  if (record.shape.length !== spec.shape.length || record.shape.some((d, i) => d !== spec.shape[i])) {
    problems.push(`key "${record.name}" has shape [${record.shape.join(', ')}]; expected [${spec.shape.join(', ')}]`);
    ok = false;
  }
  return ok;
}

function mismatch(file: string, config: BertConfig, problems: string[]): SeqrecError {
  const shown = problems.slice(0, SHOWN_PROBLEMS).join('; ');
  const more = problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : '';
  const model = `${config.numLayers} layers, hidden ${config.hiddenSize}, intermediate ${config.intermediateSize}, vocab ${config.vocabSize}`;
  return new SeqrecError('E_CHECKPOINT', `${file} does not match its config.json (${model}): ${problems.length} problem(s): ${shown}${more}`, {
    file,
    problems,
  });
}

/** The values of an F32, F16 or BF16 record as a fresh float32 array (little-endian host, as safetensors.ts assumes). */
export function toFloat32(record: TensorRecord, source = '<buffer>'): Float32Array {
  if (record.dtype === 'F32') return asFloat32(record);
  if (record.dtype !== 'F16' && record.dtype !== 'BF16') {
    throw new SeqrecError('E_CHECKPOINT', `${source}: tensor "${record.name}" has dtype ${record.dtype}; expected F32, F16 or BF16`, {
      file: source,
      tensor: record.name,
    });
  }
  // Copied first: views into the file image are not always 2-byte aligned.
  const halves = new Uint16Array(record.data.slice().buffer, 0, record.data.byteLength >>> 1);
  if (record.dtype === 'BF16') return new Float32Array(Uint32Array.from(halves, (h) => h << 16).buffer);
  const table = halfTable();
  return Float32Array.from(halves, (h) => table[h]!);
}

let halfValues: Float32Array | undefined;

/** All 65536 IEEE half values, built once: a lookup beats decoding every element. */
function halfTable(): Float32Array {
  if (halfValues) return halfValues;
  halfValues = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >>> 10) & 0x1f;
    const fraction = h & 0x3ff;
    halfValues[h] =
      exponent === 0
        ? sign * fraction * 2 ** -24
        : exponent === 31
          ? fraction
            ? Number.NaN
            : sign * Infinity
          : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return halfValues;
}
