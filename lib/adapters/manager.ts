/**
 * The named LoRA adapters of one model, behind SequentialRecommender's adapter methods. The
 * factors live natively (native/model/lora.h); this class keeps what TypeScript must know to
 * validate calls before they cross: which adapters exist, which one is active (the default of
 * recommend / evaluate / rank) and which one is merged. Which adapter to apply travels with every
 * native request, so the native model holds no "active adapter" that concurrent calls could race on.
 */
import { SeqrecError, callNative, callNativeSync, isSeqrecError } from '../errors.js';
import type { AddonAdapterInfo, AddonAdapterState, AddonLinearModule, AddonNativeModel } from '../native/raw.js';
import { boolean, invalid, noUnknownKeys, optionsObject } from '../validate.js';
import { type AdapterOptions, adapterName, loraSettings, resolveAdapterOptions, selectTargets } from './options.js';
import { readPeftAdapter, writePeftAdapter } from './peft.js';

export interface AdapterInfo {
  name: string;
  r: number;
  alpha: number;
  dropout: number;
  rslora: boolean;
  /** DoRA: learned row magnitudes (AdapterOptions.dora) */
  dora: boolean;
  /** a bottleneck adapter on the layer outputs (AdapterOptions.kind 'bottleneck') */
  bottleneck: boolean;
  /** prefix tuning (AdapterOptions.kind 'prefix'): r is its number of virtual tokens */
  prefix: boolean;
  /** the factor s applied to B·A: alpha / r, or alpha / √r with rslora (a prefix applies none) */
  scale: number;
  /** as given to addAdapter (or read from adapter_config.json) */
  targetModules: string[] | string;
  /** the adapted layers, e.g. 'blocks.0.attention.query' */
  modules: string[];
  /** scalars in all its tensors (lora_A, lora_B, DoRA's magnitudes) */
  parameters: number;
  /** folded into the base weights by mergeAdapter */
  merged: boolean;
}

export interface SaveAdapterOptions {
  /** (str | null) base_model_name_or_path in adapter_config.json. Default `seqrec-<architecture>`. */
  baseModel?: string | null;
  /** cancels the write; files already in place are left as they were */
  signal?: AbortSignal;
}

export interface LoadAdapterOptions {
  /** (str) name to load the adapter under. Default: the name it was saved with ('default' for foreign PEFT files). */
  name?: string;
  /** (bool) refuse an adapter saved from a different base model (compares seqrec_base_hash). Default true. */
  verifyBase?: boolean;
}

/** What the manager needs from its model. */
export interface AdapterHost {
  native(): AddonNativeModel;
  track<T>(promise: Promise<T>): Promise<T>;
  architecture(): string;
  /** attention heads (a prefix's PEFT config records them) */
  heads(): number;
}

export class AdapterManager {
  readonly #host: AdapterHost;
  readonly #adapters = new Map<string, { info: AddonAdapterInfo; targetModules: string[] | string }>();
  #active: string | null = null;
  #merged: string | null = null;
  #layers: AddonLinearModule[] | undefined;

  constructor(host: AdapterHost) {
    this.#host = host;
  }

  get active(): string | null {
    return this.#active;
  }

  list(): AdapterInfo[] {
    return [...this.#adapters.keys()].map((name) => this.#info(name));
  }

  /** The adapter a call uses: `option` undefined → the active one; null → none (''); a name → that adapter. */
  resolve(where: string, option: unknown): string {
    if (option === undefined) return this.#active ?? '';
    if (option === null) return '';
    return this.#require(where, option);
  }

  async add(name: unknown, options: AdapterOptions): Promise<AdapterInfo> {
    const n = adapterName('name', name);
    const o = resolveAdapterOptions(options);
    if (this.#adapters.has(n)) throw invalid('name', 'the name of no existing adapter (removeAdapter it first)', n);
    const native = this.#host.native();
    const modules = selectTargets(o.targetModules, this.#linearModules(native));
    const info = await this.#host.track(callNative(() => native.addAdapter({ name: n, lora: loraSettings(o), modules })));
    this.#adapters.set(n, { info, targetModules: o.targetModules });
    return this.#info(n);
  }

  /** Make `name` the adapter recommend / evaluate / rank apply by default; null for the base alone. */
  apply(name: unknown): void {
    this.#host.native(); // E_DISPOSED first
    const n = name === null ? null : this.#require('name', name);
    if (this.#merged !== null && n !== this.#merged) {
      throw new SeqrecError('E_INVALID_OPTION', `adapter ${JSON.stringify(this.#merged)} is merged into the weights; unmergeAdapter it before switching`, {
        option: 'name',
      });
    }
    this.#active = n;
  }

  async merge(name: unknown): Promise<void> {
    const n = this.#require('name', name);
    const native = this.#host.native();
    await this.#host.track(callNative(() => native.mergeAdapter(n)));
    this.#merged = n;
    this.#active = n; // a merged adapter is in every output until unmerged
  }

  async unmerge(name: unknown): Promise<void> {
    const n = this.#require('name', name);
    const native = this.#host.native();
    await this.#host.track(callNative(() => native.unmergeAdapter(n)));
    this.#merged = null;
  }

  async remove(name: unknown): Promise<void> {
    const n = this.#require('name', name);
    const native = this.#host.native();
    await this.#host.track(callNative(() => native.removeAdapter(n)));
    this.#adapters.delete(n);
    if (this.#active === n) this.#active = null;
  }

  async save(name: unknown, dir: unknown, options: SaveAdapterOptions = {}): Promise<void> {
    const n = this.#require('name', name);
    if (typeof dir !== 'string' || dir === '') throw invalid('dir', 'a folder path', dir);
    const o = optionsObject('options', options) as SaveAdapterOptions;
    noUnknownKeys('options', o, ['baseModel', 'signal']);
    const baseModel = o.baseModel === undefined ? `seqrec-${this.#host.architecture()}` : o.baseModel;
    if (baseModel !== null && typeof baseModel !== 'string') throw invalid('options.baseModel', 'a string or null', baseModel);
    const native = this.#host.native();
    const state = await this.#host.track(callNative(() => native.exportAdapter(n)));
    await writePeftAdapter(dir, { state, targetModules: this.#adapters.get(n)!.targetModules, baseModel, heads: this.#host.heads() }, { signal: o.signal });
  }

  async load(dir: unknown, options: LoadAdapterOptions = {}): Promise<AdapterInfo> {
    if (typeof dir !== 'string' || dir === '') throw invalid('dir', 'a folder path', dir);
    const o = optionsObject('options', options) as LoadAdapterOptions;
    noUnknownKeys('options', o, ['name', 'verifyBase']);
    const wanted = o.name === undefined ? undefined : adapterName('options.name', o.name);
    const verifyBase = boolean('options.verifyBase', o.verifyBase ?? true);
    const native = this.#host.native();
    const { state, targetModules } = await readPeftAdapter(dir, this.#linearModules(native), wanted, this.#host.heads());
    let n: string;
    try {
      n = adapterName('seqrec_adapter_name', state.name);
    } catch {
      throw new SeqrecError('E_CHECKPOINT', `${dir}: the stored adapter name ${JSON.stringify(state.name)} is not usable; pass { name }`, { file: dir });
    }
    if (this.#adapters.has(n)) throw invalid('options.name', `the name of no existing adapter (${JSON.stringify(n)} exists)`, n);
    if (verifyBase && state.baseHash === '') {
      throw new SeqrecError(
        'E_CHECKPOINT',
        `${dir}: adapter_config.json has no seqrec_base_hash, so its base cannot be verified; pass { verifyBase: false } to load it anyway`,
        { file: dir },
      );
    }
    const request: AddonAdapterState = { ...state, name: n, baseHash: verifyBase ? state.baseHash : '' };
    let info: AddonAdapterInfo;
    try {
      info = await this.#host.track(callNative(() => native.importAdapter(request, false)));
    } catch (e) {
      if (isSeqrecError(e, 'E_CHECKPOINT')) throw new SeqrecError('E_CHECKPOINT', `${dir}: ${e.message}`, { file: dir }, { cause: e });
      throw e;
    }
    this.#adapters.set(n, { info, targetModules });
    return this.#info(n);
  }

  async baseHash(): Promise<string> {
    const native = this.#host.native();
    return this.#host.track(callNative(() => native.baseHash()));
  }

  /** @internal fit({ adapter }): check it, and make it active (PEFT trains the active adapter). */
  beginTraining(name: string): void {
    if (name === '') return;
    this.#require('options.adapter', name);
    this.apply(name);
  }

  /** @internal the adapter's factors, to restore the best validated ones after fit. */
  async snapshot(name: string): Promise<AddonAdapterState> {
    const native = this.#host.native();
    return this.#host.track(callNative(() => native.exportAdapter(name)));
  }

  /** @internal put back a snapshot (replacing the adapter's factors). */
  async restore(state: AddonAdapterState): Promise<void> {
    const native = this.#host.native();
    await this.#host.track(callNative(() => native.importAdapter(state, true)));
  }

  #require(where: string, name: unknown): string {
    const n = adapterName(where, name);
    if (!this.#adapters.has(n)) {
      const known = [...this.#adapters.keys()];
      throw new SeqrecError('E_INVALID_OPTION', `Unknown adapter ${JSON.stringify(n)} for ${where}; adapters: ${known.length ? known.join(', ') : 'none'}`, {
        option: where,
        received: n,
      });
    }
    return n;
  }

  #linearModules(native: AddonNativeModel): AddonLinearModule[] {
    this.#layers ??= callNativeSync(() => native.linearModules()); // fixed for the model's life
    return this.#layers;
  }

  #info(name: string): AdapterInfo {
    const { info, targetModules } = this.#adapters.get(name)!;
    return {
      name,
      ...info.lora,
      scale: info.scale,
      targetModules: typeof targetModules === 'string' ? targetModules : [...targetModules],
      modules: info.modules.map((m) => m.name),
      parameters: info.parameters,
      merged: this.#merged === name,
    };
  }
}
