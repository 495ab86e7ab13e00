/**
 * End-to-end fine-tuning of the text encoder (fit's `textEncoder` option): for the fit, the
 * model's item text comes from a LoRA-adapted copy of a BertTextEncoder run on every item's text
 * each step, so the recommendation loss trains the adapter with the model (the BERT weights stay
 * frozen). Afterwards the model's item text is the tuned encoder's output (cold items included),
 * and the fit summary's textAdapter holds the adapter: applyAdapter it to the encoder to embed new
 * items the same way, saveAdapter it in the PEFT layout. Native side: native/model/text_tower.h.
 */
import { resolveAdapterOptions, selectTargets, type AdapterOptions, type ResolvedAdapterOptions } from '../adapters/options.js';
import { SeqrecError } from '../errors.js';
import type { AddonLinearModule } from '../native/raw.js';
import { integer, invalid, noUnknownKeys, optionsObject } from '../validate.js';
import { BertTextEncoder } from './bert-encoder.js';
import { bertLinearModules } from './bert-lora.js';

export interface TextTuningOptions {
  /** (BertTextEncoder) the encoder to adapt; its width must be the model's textDim. Required. */
  encoder: BertTextEncoder;
  /** (str[]) (V+1) the text of every item, [0] unused, e.g. itemText(data). Required. */
  texts: readonly string[];
  /**
   * LoRA on the encoder (r, alpha, dropout, rslora as in addAdapter). targetModules names Hugging Face
   * BertModel layers, by suffix ('query', 'value', 'attention.output.dense', 'intermediate.dense') or
   * a whole-name regex. Default r 8, alpha 8, targetModules ['query', 'value'].
   */
  lora?: AdapterOptions;
  /**
   * (int) items re-encoded with gradients each step; the others keep their latest encoding (a
   * memory bank), so a step costs this many encoder passes instead of V. Default 0: all items.
   */
  itemsPerStep?: number;
}

export interface ResolvedTextTuning {
  encoder: BertTextEncoder;
  texts: readonly string[];
  lora: ResolvedAdapterOptions;
  modules: AddonLinearModule[];
  itemsPerStep: number;
}

export function resolveTextTuning(raw: unknown, model: { items: number; textDim: number }, resume: boolean): ResolvedTextTuning {
  const o = optionsObject('options.textEncoder', raw) as unknown as TextTuningOptions;
  noUnknownKeys('options.textEncoder', o, ['encoder', 'texts', 'lora', 'itemsPerStep']);
  if (!(o.encoder instanceof BertTextEncoder)) throw invalid('options.textEncoder.encoder', 'a BertTextEncoder', o.encoder);
  if (o.encoder.disposed) throw new SeqrecError('E_DISPOSED', 'options.textEncoder.encoder was disposed', { option: 'options.textEncoder.encoder' });
  if (model.textDim !== o.encoder.dim) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `options.textEncoder.encoder gives vectors of width ${o.encoder.dim} but the model reads textDim ${model.textDim}${model.textDim === 0 ? ' (create it with textDim)' : ''}`,
      {
        option: 'options.textEncoder.encoder',
      },
    );
  }
  if (o.encoder.adapter !== undefined) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      'options.textEncoder.encoder already applies an adapter; tune from the plain encoder (load it without options.adapter)',
      { option: 'options.textEncoder.encoder' },
    );
  }
  if (resume)
    throw new SeqrecError('E_INVALID_OPTION', 'options.textEncoder cannot resume a run: the encoder adapter is not part of the model state', {
      option: 'options.resume',
    });
  const texts = o.texts;
  if (!Array.isArray(texts) || texts.length !== model.items + 1) {
    throw invalid(
      'options.textEncoder.texts',
      `an array of V+1 = ${model.items + 1} strings (index 0 unused)`,
      Array.isArray(texts) ? `${texts.length} entries` : texts,
    );
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw invalid(`options.textEncoder.texts[${i}]`, 'a string', t);
  });
  const lora = resolveAdapterOptions(o.lora ?? {}, 'options.textEncoder.lora');
  if (lora.prefix) throw invalid('options.textEncoder.lora.kind', "'lora' or 'bottleneck' (the text encoder takes no prefix)", 'prefix');
  const modules = selectTargets(lora.targetModules, bertLinearModules(o.encoder.bert), 'options.textEncoder.lora');
  return { encoder: o.encoder, texts, lora, modules, itemsPerStep: integer('options.textEncoder.itemsPerStep', o.itemsPerStep ?? 0, 0, 2 ** 31 - 1) };
}
