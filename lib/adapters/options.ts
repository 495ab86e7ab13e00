/**
 * LoRA adapter options (PEFT's LoraConfig, the fields seqrec supports) and target selection.
 * Targets are matched here, in TypeScript, against the layer names the native model reports, so a
 * regex is always a JavaScript RegExp: a list of names matches PEFT's suffix rule (a layer `key` is
 * a target when `key === t` or `key` ends with `.${t}`), a string is a regex that must match the
 * whole name (PEFT's `re.fullmatch`).
 */
import { SeqrecError } from '../errors.js';
import type { AddonLinearModule, AddonLoraSettings } from '../native/raw.js';
import { boolean, closest, integer, invalid, noUnknownKeys, number, oneOf, optionsObject } from '../validate.js';

export interface AdapterOptions {
  /** (int) rank r of the update B·A. Default 8 (PEFT). */
  r?: number;
  /** (float) scale numerator: the update is scaled by alpha / r (alpha / √r with rslora). Default 8 (PEFT). */
  alpha?: number;
  /** (float) dropout on the adapter's input while training, in [0, 1). Default 0. */
  dropout?: number;
  /**
   * (str[] | str) layers to adapt. A list of names matched by suffix ('query' adapts every
   * `blocks.N.attention.query`; 'blocks.0.ffnIn' one layer), or a regex source string that must
   * match a whole layer name, e.g. 'blocks\\.[01]\\.attention\\.(query|value)'. Layer names:
   * `blocks.N.attention.{query,key,value,out}`, `blocks.N.ffnIn`, `blocks.N.ffnOut`.
   * Default ['query', 'value'] (PEFT's default for BERT-style attention).
   */
  targetModules?: readonly string[] | string;
  /** (bool) rank-stabilised LoRA: scale alpha / √r instead of alpha / r. Default false. */
  rslora?: boolean;
  /**
   * (bool) DoRA (Liu et al. 2024, PEFT's use_dora): the adapted weight's rows rescaled to learned magnitudes,
   * one more vector (out) per layer (native/model/lora.h). Default false.
   */
  dora?: boolean;
  /**
   * (str) 'lora' (a low-rank update of the weight; default), 'bottleneck' (Houlsby et al. 2019): a residual MLP
   * of width r on the layer's output, z + s·B·GELU(A·z); adapt 'out' and 'ffnOut' for Houlsby's placements;
   * saved in seqrec's own layout (PEFT defines none); or 'prefix' (prefix tuning, Li & Liang 2021): `virtualTokens`
   * learned keys and values in every block's attention, seen by every position, saved in PEFT's PREFIX_TUNING
   * layout; it takes no r, alpha, dropout, targetModules, rslora or dora. Neither of the last two merges.
   * native/model/lora.h.
   */
  kind?: 'lora' | 'bottleneck' | 'prefix';
  /** (int) with kind 'prefix': learned key/value positions per block (PEFT's num_virtual_tokens). Default 16. */
  virtualTokens?: number;
}

export interface ResolvedAdapterOptions {
  r: number;
  alpha: number;
  dropout: number;
  /** as given (list or regex source): this is what adapter_config.json records */
  targetModules: string[] | string;
  rslora: boolean;
  dora: boolean;
  bottleneck: boolean;
  /** prefix tuning: r is its number of virtual tokens, and the targets are every attention's key layer */
  prefix: boolean;
}

const KEYS = ['r', 'alpha', 'dropout', 'targetModules', 'rslora', 'dora', 'kind', 'virtualTokens'] as const;
const NOT_WITH_PREFIX = ['r', 'alpha', 'dropout', 'targetModules', 'rslora', 'dora'] as const;

/** The settings of an adapter as native records carry them (one nested record), from any object that has them (no prefix: false). */
export function loraSettings({
  r,
  alpha,
  dropout,
  rslora,
  dora,
  bottleneck,
  prefix,
}: Omit<AddonLoraSettings, 'prefix'> & { prefix?: boolean }): AddonLoraSettings {
  return { r, alpha, dropout, rslora, dora, bottleneck, prefix: prefix ?? false };
}
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Adapter names become parts of parameter names, so they hold no dots or slashes. */
export function adapterName(where: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalid(where, 'an adapter name of 1 to 64 letters, digits, "_" or "-"', value);
  }
  return value;
}

/** `name` is where the options sit, for errors: 'options' in addAdapter, 'options.textEncoder.lora' in fit. */
export function resolveAdapterOptions(raw: unknown, name = 'options'): ResolvedAdapterOptions {
  const o = optionsObject(name, raw) as AdapterOptions;
  noUnknownKeys(name, o, KEYS);
  const kind = oneOf(`${name}.kind`, o.kind ?? 'lora', ['lora', 'bottleneck', 'prefix'] as const);
  if (kind === 'bottleneck' && o.dora) throw invalid(`${name}.dora`, "absent with kind 'bottleneck' (DoRA is a low-rank update)", o.dora);
  if (kind === 'prefix') {
    for (const key of NOT_WITH_PREFIX)
      if (o[key] !== undefined) throw invalid(`${name}.${key}`, "absent with kind 'prefix' (its size is virtualTokens; it sits in every block)", o[key]);
    const virtualTokens = integer(`${name}.virtualTokens`, o.virtualTokens ?? 16, 1, 65536);
    return { r: virtualTokens, alpha: 1, dropout: 0, targetModules: ['key'], rslora: false, dora: false, bottleneck: false, prefix: true };
  }
  if (o.virtualTokens !== undefined) throw invalid(`${name}.virtualTokens`, "absent unless kind is 'prefix'", o.virtualTokens);
  const targets = o.targetModules ?? (kind === 'bottleneck' ? ['out', 'ffnOut'] : ['query', 'value']);
  let targetModules: string[] | string;
  if (typeof targets === 'string') {
    try {
      new RegExp(targets);
    } catch (e) {
      throw new SeqrecError('E_INVALID_OPTION', `${name}.targetModules is not a valid regular expression: ${(e as Error).message}`, {
        option: `${name}.targetModules`,
        received: targets,
      });
    }
    targetModules = targets;
  } else if (Array.isArray(targets) && targets.length > 0 && targets.every((t) => typeof t === 'string' && t !== '')) {
    targetModules = [...targets];
  } else {
    throw invalid(`${name}.targetModules`, 'a non-empty array of layer names or a regex source string', targets);
  }
  return {
    r: integer(`${name}.r`, o.r ?? 8, 1, 65536),
    alpha: number(`${name}.alpha`, o.alpha ?? 8, 0, 1e6, { exclusiveMin: true }),
    dropout: number(`${name}.dropout`, o.dropout ?? 0, 0, 0.999),
    targetModules,
    rslora: boolean(`${name}.rslora`, o.rslora ?? false),
    dora: boolean(`${name}.dora`, o.dora ?? false),
    bottleneck: kind === 'bottleneck',
    prefix: false,
  };
}

/** The layers `targetModules` selects, in module order. Throws E_INVALID_OPTION when a name or the regex matches nothing. */
export function selectTargets(targetModules: string[] | string, layers: readonly AddonLinearModule[], name = 'options'): AddonLinearModule[] {
  const names = layers.map((l) => l.name);
  if (typeof targetModules === 'string') {
    const re = new RegExp(`^(?:${targetModules})$`);
    const chosen = layers.filter((l) => re.test(l.name));
    if (chosen.length === 0) {
      throw new SeqrecError('E_INVALID_OPTION', `${name}.targetModules /${targetModules}/ matches no layer; layers are ${names.join(', ')}`, {
        option: `${name}.targetModules`,
      });
    }
    return chosen;
  }
  const matches = (layer: string, t: string) => layer === t || layer.endsWith(`.${t}`);
  for (const t of targetModules) {
    if (layers.some((l) => matches(l.name, t))) continue;
    const leaves = [...new Set(names.map((n) => n.slice(n.lastIndexOf('.') + 1)))];
    const guess = closest(t, leaves);
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `${name}.targetModules entry ${JSON.stringify(t)} matches no layer${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}; layers are ${names.join(', ')}`,
      { option: `${name}.targetModules`, suggestion: guess },
    );
  }
  return layers.filter((l) => targetModules.some((t) => matches(l.name, t)));
}
