/**
 * The CLI's one typed configuration: a JSON file (`--config`) and command-line flags, merged (flags win)
 * and validated together by one zod schema, so a bad value is reported the same way wherever it came
 * from, with its path (`train.epochs`) and source. Unknown keys are errors, never silently ignored.
 * The library validates again when the values reach it; this layer exists for the file's shape.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SeqrecError } from '../errors.js';

const positiveInt = z.number().int().positive();
const columns = z.strictObject({
  user: z.string().optional(),
  item: z.string().optional(),
  time: z.string().nullable().optional(),
  rating: z.string().nullable().optional(),
});

export const formats = ['auto', 'movielens', 'sasrec', 'csv', 'tsv', 'jsonl', 'recbole', 'parquet'] as const;

const schema = z.strictObject({
  data: z
    .strictObject({
      /** (str) interactions file */
      path: z.string().min(1).optional(),
      /** (str) file format; 'auto' picks by extension (.dat MovieLens, .txt SASRec, .csv, .tsv, .jsonl, .inter, .parquet; .gz stripped) */
      format: z.enum(formats).optional(),
      /** column (CSV/TSV/Parquet) or field (JSONL/RecBole) names of user, item, time, rating */
      columns: columns.optional(),
      minRating: z.number().optional(),
      kCore: z.number().int().min(0).optional(),
      dedupe: z.enum(['keep', 'first', 'last']).optional(),
      lenient: z.boolean().optional(),
      /** (str) SASRec text only: files mapping its renumbered ids back to the original ones ("sas_id original_id" lines) */
      itemIdMap: z.string().optional(),
      userIdMap: z.string().optional(),
      /** (str) how test targets are held out */
      split: z.enum(['leave-one-out', 'temporal']).optional(),
      /** (str) item text for the model: MovieLens movies.dat (titles and genres) */
      items: z.string().min(1).optional(),
      /** (bool) add the items of `items` that have no interactions to the catalogue (scored from text alone) */
      addNewItems: z.boolean().optional(),
    })
    .optional(),
  model: z
    .strictObject({
      arch: z.enum(['sasrec', 'bert4rec']).optional(),
      dim: positiveInt.optional(),
      layers: positiveInt.optional(),
      heads: positiveInt.optional(),
      maxLen: positiveInt.optional(),
      /** (str) SASRec positions: 'end' (published SASRec) or 'start' (sessions append at the cost of one position) */
      positions: z.enum(['end', 'start']).optional(),
      dropout: z.number().min(0).max(1).optional(),
      seed: z.number().int().min(0).optional(),
      threads: positiveInt.optional(),
      device: z.string().optional(),
      /** (int) text vector width; with the hashing encoder its dimension (default 256), with BERT its hidden size */
      textDim: positiveInt.optional(),
      /** (str) 'hashing' (default) or a local Hugging Face BERT folder */
      textEncoder: z.string().min(1).optional(),
      /** (str) folder of the BERT embedding cache */
      textCache: z.string().min(1).optional(),
    })
    .optional(),
  train: z
    .strictObject({
      epochs: positiveInt.optional(),
      batchSize: positiveInt.optional(),
      lr: z.number().positive().optional(),
      weightDecay: z.number().min(0).optional(),
      warmupSteps: z.number().int().min(0).optional(),
      schedule: z.enum(['constant', 'linear', 'cosine']).optional(),
      /** (str) the objective (FitOptions.loss) */
      loss: z.enum(['ce', 'bce', 'gbce', 'sampled-softmax']).optional(),
      negatives: positiveInt.optional(),
      gbceT: z.number().min(0).max(1).optional(),
      /** (float) weight of CL4SRec's contrastive auxiliary loss (FitOptions.contrastive, other settings default) */
      contrastive: z.number().positive().optional(),
      validateEvery: positiveInt.optional(),
      patience: z.number().int().min(0).optional(),
      metric: z.string().optional(),
      /** (float) text models: share of steps an item's id embedding is dropped (default 0.5) */
      idDropout: z.number().min(0).lt(1).optional(),
    })
    .optional(),
  evaluate: z
    .strictObject({
      metrics: z.array(z.string()).min(1).optional(),
      protocol: z.enum(['full', 'sampled-100']).optional(),
      negatives: z.enum(['uniform', 'popularity']).optional(),
      bootstrap: z.boolean().optional(),
      /** (str) MovieLens users.dat for fairness by gender, age, occupation */
      users: z.string().optional(),
      /** (str) user attributes compared across groups, besides activity tertiles */
      groups: z.array(z.string()).optional(),
      seed: z.number().int().min(0).optional(),
    })
    .optional(),
});

export type Config = z.infer<typeof schema>;

/** Read `--config` (if any), lay the flags over it section by section, and validate the result. */
export async function loadConfig(path: string | undefined, flags: Config): Promise<Config> {
  let file: unknown = {};
  if (path !== undefined) {
    file = await readJsonFile(path, 'config', 'the config file ');
    checkWithSchema(schema, file, path);
  }
  return checkWithSchema(schema, merge(file as Config, flags), path === undefined ? 'the command line' : `${path} and the command line`);
}

/**
 * The JSON value in `path`: E_INVALID_OPTION naming `option` when it cannot be read ("cannot read <what><path>: …"),
 * E_INVALID_DATA when it is not JSON.
 */
export async function readJsonFile(path: string, option: string, what = ''): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((e: Error) => {
    throw new SeqrecError('E_INVALID_OPTION', `cannot read ${what}${path}: ${e.message}`, { option, file: path });
  });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SeqrecError('E_INVALID_DATA', `${path} is not valid JSON: ${(e as Error).message}`, { file: path });
  }
}

/** `value` as `schema` parses it, or E_INVALID_OPTION "<source>: <path>: <what is wrong>" for its first issue. */
export function checkWithSchema<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.join('.') || '(top level)';
  const unknown = issue.code === 'unrecognized_keys' ? `: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : `: ${issue.message}`;
  throw new SeqrecError('E_INVALID_OPTION', `${source}: ${where}${unknown}`, { option: where, source });
}

function merge(file: Config, flags: Config): Config {
  const out: Record<string, unknown> = { ...file };
  for (const [section, values] of Object.entries(flags)) {
    const defined = Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined));
    if (Object.keys(defined).length > 0) out[section] = { ...((file as Record<string, object>)[section] ?? {}), ...defined };
  }
  return out as Config;
}
