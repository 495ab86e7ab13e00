/**
 * LoRA adapters on disk in the PEFT layout (https://huggingface.co/docs/peft), a folder with
 *   adapter_config.json         PEFT's LoraConfig fields (peft_type "LORA", r, lora_alpha, …) plus
 *                               seqrec_base_hash (sha256 of the base, see native/model/base_hash.cpp) and
 *                               seqrec_weights_sha256 (of the safetensors bytes, so a torn save is caught)
 *   adapter_model.safetensors   base_model.model.<module>.lora_A.weight (r, in), ….lora_B.weight (out, r),
 *                               and with DoRA (use_dora) ….lora_magnitude_vector (out)
 * A bottleneck adapter (PEFT defines none) is written the same way with peft_type "SEQREC_BOTTLENECK" and
 * lora_A (r, out): PEFT refuses it rather than misreading it.
 * A prefix is PEFT's PREFIX_TUNING without a projection: adapter_config.json has num_virtual_tokens P,
 * num_layers, token_dim d, num_attention_heads; adapter_model.safetensors one tensor prompt_embeddings
 * (P, num_layers · 2 · d) whose row p is [block 0's key, block 0's value, block 1's key, …] of virtual
 * token p (PEFT views it as (P, num_layers · 2, heads, d / heads)). Natively each block's keys and values
 * are lora_A and lora_B (P, d) of its attention's key layer (native/model/lora.h).
 * Each file is replaced atomically; the config is written last. Only what seqrec computes is
 * accepted on load: bias "none", no modules_to_save, no rank/alpha patterns.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SeqrecError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeSafetensors, dtypeSize, encodeSafetensors, type SafetensorsDtype } from '../io/safetensors.js';
import type { AddonAdapterState, AddonLinearModule, AddonTensorEntry } from '../native/raw.js';

export const CONFIG_FILE = 'adapter_config.json';
export const WEIGHTS_FILE = 'adapter_model.safetensors';
const PREFIX = 'base_model.model.';
const BOTTLENECK = 'SEQREC_BOTTLENECK';
const PREFIX_TUNING = 'PREFIX_TUNING';
const PROMPT = 'prompt_embeddings';
const FLOATS: readonly string[] = ['F32', 'F16', 'BF16', 'F64']; // the dtypes an adapter tensor may have

export interface PeftAdapter {
  state: AddonAdapterState;
  /** target_modules as saved (list or regex source) */
  targetModules: string[] | string;
}

/** A prefix's per-block tensors ("<block>.attention.key.lora_A" keys and ".lora_B" values, (P, d) each, module order) as PEFT's (P, blocks · 2 · d). */
function promptEmbeddings(tensors: readonly AddonTensorEntry[]): { dtype: string; shape: number[]; data: Uint8Array } {
  const [P, d] = tensors[0]!.shape as [number, number];
  const row = d * dtypeSize(tensors[0]!.dtype as SafetensorsDtype); // bytes of one key or value vector
  const data = new Uint8Array(P * tensors.length * row);
  for (let p = 0; p < P; p++) tensors.forEach((t, j) => data.set(t.data.subarray(p * row, (p + 1) * row), (p * tensors.length + j) * row)); // [key₀, value₀, key₁, …]
  return { dtype: tensors[0]!.dtype, shape: [P, tensors.length * d], data };
}

/** Write `state` (from exportAdapter) as a PEFT adapter folder, creating the folder (not its parents). */
export async function writePeftAdapter(
  dir: string,
  adapter: PeftAdapter & { baseModel: string | null; heads?: number },
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { state } = adapter;
  if (state.lora.prefix) return writeFiles(dir, prefixFiles(adapter), options);
  const tensors = state.tensors.map((t) => ({
    // "<module>.lora_A" → "base_model.model.<module>.lora_A.weight"; "<module>.lora_magnitude" → "….lora_magnitude_vector"
    name: t.name.endsWith('.lora_magnitude') ? `${PREFIX}${t.name}_vector` : `${PREFIX}${t.name}.weight`,
    dtype: t.dtype as SafetensorsDtype,
    shape: t.shape,
    data: t.data,
  }));
  const weights = encodeSafetensors(tensors, { format: 'pt' });
  const config = {
    peft_type: state.lora.bottleneck ? BOTTLENECK : 'LORA',
    task_type: null,
    base_model_name_or_path: adapter.baseModel,
    r: state.lora.r,
    lora_alpha: state.lora.alpha,
    lora_dropout: state.lora.dropout,
    target_modules: adapter.targetModules,
    use_rslora: state.lora.rslora,
    bias: 'none',
    fan_in_fan_out: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_dora: state.lora.dora,
    seqrec_adapter_name: state.name,
    seqrec_base_hash: state.baseHash,
    seqrec_weights_sha256: sha256(weights),
  };
  await writeFiles(dir, { weights, config }, options);
}

/** A prefix's PEFT files: PREFIX_TUNING's config and its one prompt_embeddings tensor. */
function prefixFiles({ state, baseModel, heads }: PeftAdapter & { baseModel: string | null; heads?: number }): { weights: Uint8Array; config: object } {
  const prompt = promptEmbeddings(state.tensors);
  const weights = encodeSafetensors([{ name: PROMPT, dtype: prompt.dtype as SafetensorsDtype, shape: prompt.shape, data: prompt.data }], { format: 'pt' });
  const d = state.tensors[0]!.shape[1]!;
  const config = {
    peft_type: PREFIX_TUNING,
    task_type: null,
    base_model_name_or_path: baseModel,
    num_virtual_tokens: state.lora.r,
    token_dim: d,
    num_transformer_submodules: 1,
    num_attention_heads: heads ?? null,
    num_layers: state.tensors.length / 2,
    encoder_hidden_size: d,
    prefix_projection: false,
    inference_mode: true,
    seqrec_adapter_name: state.name,
    seqrec_base_hash: state.baseHash,
    seqrec_weights_sha256: sha256(weights),
  };
  return { weights, config };
}

/** Create `dir` (not its parents) and replace its two files atomically, the config last. */
async function writeFiles(dir: string, { weights, config }: { weights: Uint8Array; config: object }, options: { signal?: AbortSignal }): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'EEXIST') {
      throw new SeqrecError('E_CHECKPOINT', `Cannot create adapter folder ${dir}: ${(e as Error).message}`, { path: dir }, { cause: e });
    }
  }
  await writeFileAtomic(join(dir, WEIGHTS_FILE), weights, options);
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`, options);
}

/**
 * Read a PEFT adapter folder into the state importAdapter takes, checking names, shapes and the
 * config against `layers` (the model's linearModules()). Every failure is E_CHECKPOINT naming the
 * file and, where there is one, the tensor key. `baseHash` comes back "" when the file has none.
 */
export async function readPeftAdapter(dir: string, layers: readonly AddonLinearModule[], name?: string, heads?: number): Promise<PeftAdapter> {
  const configPath = join(dir, CONFIG_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  const fail = (file: string, why: string, details: Record<string, unknown> = {}) => new SeqrecError('E_CHECKPOINT', `${file}: ${why}`, { file, ...details });
  const config = parseConfig(await readBytes(configPath), configPath);
  const c = config as Record<string, unknown>;
  const field = (key: string, ok: (v: unknown) => boolean, expected: string, fallback?: unknown) => {
    const v = c[key] === undefined ? fallback : c[key];
    if (!ok(v)) throw fail(configPath, `${key} is ${JSON.stringify(v)}, expected ${expected}`, { field: key });
    return v;
  };
  const peftType = field('peft_type', (v) => v === 'LORA' || v === BOTTLENECK || v === PREFIX_TUNING, `"LORA", "${BOTTLENECK}" or "${PREFIX_TUNING}"`);
  // absent from adapters PEFT itself wrote: then "", and the caller decides what that may adapt
  const baseHash =
    c.seqrec_base_hash === undefined
      ? ''
      : (field('seqrec_base_hash', (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), 'a sha256 hex string') as string);
  const storedName = field('seqrec_adapter_name', (v) => typeof v === 'string', 'a string', 'default') as string;
  const bytes = await readBytes(weightsPath);
  const weightsHash = c.seqrec_weights_sha256;
  if (typeof weightsHash === 'string' && weightsHash !== sha256(bytes)) {
    throw fail(weightsPath, `does not belong to ${CONFIG_FILE} (its sha256 differs from seqrec_weights_sha256; an interrupted save?)`);
  }
  const file = decodeSafetensors(bytes, weightsPath);
  if (peftType === PREFIX_TUNING) {
    // one key layer per block; PEFT's layout is all blocks or none
    const keys = layers.filter((l) => l.name.endsWith('.attention.key'));
    const P = field('num_virtual_tokens', (v) => Number.isSafeInteger(v) && (v as number) > 0, 'a positive integer') as number;
    field('num_layers', (v) => v === keys.length, `${keys.length} (this model's blocks)`);
    const d = field('token_dim', (v) => v === keys[0]?.outFeatures, `${keys[0]?.outFeatures} (this model's width)`) as number;
    field('num_transformer_submodules', (v) => v === 1, '1 (a decoder-only stack)', 1);
    field('prefix_projection', (v) => v === false, 'false (a prefix without its reparametrising MLP)', false);
    if (heads !== undefined) field('num_attention_heads', (v) => v === heads || v === null, `${heads} (this model's heads)`, null);
    const prompt = file.tensors.find((t) => t.name === PROMPT);
    const other = file.tensors.find((t) => t.name !== PROMPT);
    if (other) throw fail(weightsPath, `tensor "${other.name}" is not ${PROMPT}`, { tensor: other.name });
    if (!prompt) throw fail(weightsPath, `holds no ${PROMPT}`);
    const width = keys.length * 2 * d;
    if (prompt.shape.length !== 2 || prompt.shape[0] !== P || prompt.shape[1] !== width)
      throw fail(weightsPath, `tensor "${PROMPT}" has shape [${prompt.shape.join(', ')}], expected [${P}, ${width}]`, { tensor: PROMPT });
    if (!FLOATS.includes(prompt.dtype)) throw fail(weightsPath, `tensor "${PROMPT}" has dtype ${prompt.dtype}, expected a float`, { tensor: PROMPT });
    const row = d * dtypeSize(prompt.dtype);
    const tensors = keys.flatMap((layer, l) =>
      (['A', 'B'] as const).map((which, kv) => {
        const data = new Uint8Array(P * row);
        for (let p = 0; p < P; p++) data.set(prompt.data.subarray(((p * keys.length + l) * 2 + kv) * row, ((p * keys.length + l) * 2 + kv + 1) * row), p * row);
        return { name: `${layer.name}.lora_${which}`, dtype: prompt.dtype, shape: [P, d], data };
      }),
    );
    const lora = { r: P, alpha: 1, dropout: 0, rslora: false, dora: false, bottleneck: false, prefix: true };
    return { state: { name: name ?? storedName, lora, baseHash, tensors }, targetModules: ['key'] };
  }
  const bottleneck = peftType === BOTTLENECK;
  const r = field('r', (v) => Number.isSafeInteger(v) && (v as number) > 0, 'a positive integer') as number;
  const alpha = field('lora_alpha', (v) => typeof v === 'number' && v > 0, 'a positive number') as number;
  const dropout = field('lora_dropout', (v) => typeof v === 'number' && v >= 0 && v < 1, 'a number in [0, 1)', 0) as number;
  const rslora = field('use_rslora', (v) => typeof v === 'boolean', 'a boolean', false) as boolean;
  field('bias', (v) => v === 'none', '"none" (seqrec adapters train no biases)', 'none');
  field('fan_in_fan_out', (v) => v === false, 'false', false);
  const dora = field('use_dora', (v) => typeof v === 'boolean', 'a boolean', false) as boolean;
  field('modules_to_save', (v) => v === null || (Array.isArray(v) && v.length === 0), 'null', null);
  for (const key of ['rank_pattern', 'alpha_pattern']) {
    field(
      key,
      (v) => v === null || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0),
      '{} (per-layer ranks are not supported)',
      {},
    );
  }
  const targetModules = field(
    'target_modules',
    (v) => typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string')),
    'a list of names or a regex string',
  ) as string[] | string;
  const byName = new Map(layers.map((l) => [l.name, l] as const));
  const seen = new Set<string>();
  const tensors: AddonTensorEntry[] = file.tensors.map((t) => {
    const m = /^base_model\.model\.(.+)\.lora_(?:([AB])\.weight|(magnitude)_vector)$/.exec(t.name);
    if (!m || (m[3] && !dora)) {
      const expected = `base_model.model.<module>.lora_A.weight or .lora_B.weight${dora ? ' or .lora_magnitude_vector' : ' (use_dora is false)'}`;
      throw fail(weightsPath, `tensor "${t.name}" is not ${expected}`, { tensor: t.name });
    }
    const [, module, ab] = m as unknown as [string, string, 'A' | 'B' | undefined];
    const which = ab ?? 'magnitude';
    const layer = byName.get(module);
    if (!layer) throw fail(weightsPath, `tensor "${t.name}" names layer "${module}", which this model does not have`, { tensor: t.name });
    const expected = which === 'A' ? [r, bottleneck ? layer.outFeatures : layer.inFeatures] : which === 'B' ? [layer.outFeatures, r] : [layer.outFeatures];
    if (t.shape.length !== expected.length || t.shape.some((n, i) => n !== expected[i])) {
      throw fail(weightsPath, `tensor "${t.name}" has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}] (r = ${r})`, { tensor: t.name });
    }
    if (!FLOATS.includes(t.dtype)) throw fail(weightsPath, `tensor "${t.name}" has dtype ${t.dtype}, expected a float`, { tensor: t.name });
    seen.add(`${module}.lora_${which}`);
    return { name: `${module}.lora_${which}`, dtype: t.dtype, shape: t.shape, data: t.data.slice() };
  });
  if (tensors.length === 0) throw fail(weightsPath, 'holds no LoRA tensors');
  for (const key of seen) {
    if (key.endsWith('magnitude')) continue;
    if (dora && !seen.has(key.replace(/lora_[AB]$/, 'lora_magnitude')))
      throw fail(weightsPath, `tensor "${PREFIX}${key.replace(/lora_[AB]$/, 'lora_magnitude_vector')}" is missing (use_dora is true)`);
    const other = key.endsWith('A') ? `${key.slice(0, -1)}B` : `${key.slice(0, -1)}A`;
    if (!seen.has(other))
      throw fail(weightsPath, `tensor "${PREFIX}${other}.weight" is missing (its pair "${PREFIX}${key}.weight" is there)`, {
        tensor: `${PREFIX}${other}.weight`,
      });
  }
  return { state: { name: name ?? storedName, lora: { r, alpha, dropout, rslora, dora, bottleneck, prefix: false }, baseHash, tensors }, targetModules };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const why = (e as { code?: unknown }).code === 'ENOENT' ? 'file does not exist' : (e as Error).message;
    throw new SeqrecError('E_CHECKPOINT', `Cannot read ${path}: ${why}`, { file: path }, { cause: e });
  }
}

function parseConfig(bytes: Uint8Array, path: string): object {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SeqrecError('E_CHECKPOINT', `${path}: not valid JSON (${(e as Error).message})`, { file: path }, { cause: e });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SeqrecError('E_CHECKPOINT', `${path}: not a JSON object`, { file: path });
  }
  return parsed;
}
