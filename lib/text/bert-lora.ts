/**
 * LoRA adapters of the BERT text encoder, the product of end-to-end fine-tuning (fit's
 * textEncoder option, ./text-tuning.ts): the layers they can target, under Hugging Face BertModel
 * names ("encoder.layer.0.attention.self.query", as PEFT names them), the map to the native
 * encoder's module names ("blocks.0.attention.query"), and files in the PEFT layout
 * (../adapters/peft.ts) whose seqrec_base_hash is the fingerprint of the BERT they adapt.
 */
import { loraSettings } from '../adapters/options.js';
import { readPeftAdapter, writePeftAdapter } from '../adapters/peft.js';
import { SeqrecError } from '../errors.js';
import type { SafetensorsDtype, TensorRecord } from '../io/safetensors.js';
import type { AddonAdapterState, AddonLinearModule, AddonTensorEntry } from '../native/raw.js';
import type { BertConfig } from './bert-config.js';

export interface TextEncoderAdapter {
  /** (int) rank r */
  r: number;
  /** (float) scale numerator */
  alpha: number;
  /** (float) input dropout while training */
  dropout: number;
  /** (bool) alpha/√r scale */
  rslora: boolean;
  /** (bool) DoRA's learned row magnitudes */
  dora: boolean;
  /** (bool) a bottleneck adapter on the layer outputs */
  bottleneck: boolean;
  /** (str[] | str) targetModules as given when training */
  targetModules: string[] | string;
  /** (str) fingerprint (sha256 hex) of the BERT encoder it adapts, without any adapter */
  base: string;
  /** "<module>.lora_A" (r, in), "<module>.lora_B" (out, r) and with DoRA "<module>.lora_magnitude" (out) per adapted layer, Hugging Face module names */
  tensors: TensorRecord[];
}

// Hugging Face → native, per block; the inverse of native/model/bert_encoder.cpp's bertParameterName.
const LAYERS: ReadonlyArray<readonly [hf: string, native: string, shape: 'hh' | 'hf' | 'fh']> = [
  ['attention.self.query', 'attention.query', 'hh'],
  ['attention.self.key', 'attention.key', 'hh'],
  ['attention.self.value', 'attention.value', 'hh'],
  ['attention.output.dense', 'attention.out', 'hh'],
  ['intermediate.dense', 'ffnIn', 'hf'],
  ['output.dense', 'ffnOut', 'fh'],
];

/** Every linear layer LoRA can adapt, Hugging Face names, in module order. */
export function bertLinearModules(config: BertConfig): AddonLinearModule[] {
  const { hiddenSize: h, intermediateSize: f } = config;
  const width = { hh: [h, h], hf: [h, f], fh: [f, h] } as const;
  const out: AddonLinearModule[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    for (const [hf, , shape] of LAYERS) out.push({ name: `encoder.layer.${i}.${hf}`, inFeatures: width[shape][0], outFeatures: width[shape][1] });
  }
  return out;
}

/** "encoder.layer.3.attention.self.query" → "blocks.3.attention.query" (and the same with a .lora_A/.lora_B suffix). */
export function nativeModuleName(hfName: string): string {
  const m = /^encoder\.layer\.(\d+)\.(.+?)(\.lora_(?:[AB]|magnitude))?$/.exec(hfName);
  const layer = m && LAYERS.find(([hf]) => hf === m[2]);
  if (!m || !layer) throw new SeqrecError('E_INVALID_OPTION', `"${hfName}" is not a BERT linear layer`, { field: hfName });
  return `blocks.${m[1]}.${layer[1]}${m[3] ?? ''}`;
}

/** The inverse of nativeModuleName. */
export function hfModuleName(nativeName: string): string {
  const m = /^blocks\.(\d+)\.(.+?)(\.lora_(?:[AB]|magnitude))?$/.exec(nativeName);
  const layer = m && LAYERS.find(([, native]) => native === m[2]);
  if (!m || !layer) throw new SeqrecError('E_NATIVE', `the native encoder reported an unknown layer "${nativeName}"`);
  return `encoder.layer.${m[1]}.${layer[0]}${m[3] ?? ''}`;
}

/** The native encoder's adapter state → a TextEncoderAdapter (Hugging Face names). */
export function fromNativeAdapter(state: AddonAdapterState, targetModules: string[] | string, base: string): TextEncoderAdapter {
  return { ...state.lora, targetModules, base, tensors: tensorRecords(state.tensors, hfModuleName) };
}

/** The state NativeTextEncoder.setAdapter takes. */
export function toNativeAdapter(adapter: TextEncoderAdapter): AddonAdapterState {
  return { name: 'text', lora: loraSettings(adapter), baseHash: adapter.base, tensors: adapter.tensors.map((t) => ({ ...t, name: nativeModuleName(t.name) })) };
}

/** Write `adapter` as a PEFT folder (adapter_config.json, adapter_model.safetensors) over BertModel. */
export async function writeTextAdapter(dir: string, adapter: TextEncoderAdapter, baseModel: string | null): Promise<void> {
  const state: AddonAdapterState = { name: 'text', lora: loraSettings(adapter), baseHash: adapter.base, tensors: adapter.tensors };
  await writePeftAdapter(dir, { state, targetModules: adapter.targetModules, baseModel });
}

/** Read a PEFT folder written by writeTextAdapter (or by PEFT over BertModel), checked against `config`'s layers. */
export async function readTextAdapter(dir: string, config: BertConfig): Promise<TextEncoderAdapter> {
  const { state, targetModules } = await readPeftAdapter(dir, bertLinearModules(config));
  return { ...state.lora, targetModules, base: state.baseHash, tensors: tensorRecords(state.tensors, (name) => name) };
}

/** Adapter tensors as the public TensorRecord (the addon names dtypes as safetensors does), renamed by `rename`. */
function tensorRecords(tensors: AddonTensorEntry[], rename: (name: string) => string): TensorRecord[] {
  return tensors.map((t) => ({ ...t, name: rename(t.name), dtype: t.dtype as SafetensorsDtype }));
}
