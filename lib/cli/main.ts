/**
 * The `seqrec` command: `train`, `evaluate`, `recommend`, `report`, `demo` and `info`, parsed by commander.
 * Options come from flags or a JSON `--config` file (validated together, flags win, see ./config.ts).
 * Progress goes to stderr (a bar on a terminal, plain lines otherwise); `--json` prints only JSON on stdout.
 * Errors print their code and message and exit 1; Ctrl-C aborts training cleanly (nothing half-written).
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { SeqrecError, isSeqrecError } from '../errors.js';
import { checkReportData } from '../report/data.js';
import { writeReport } from '../report/render.js';
import { writeFileAtomic } from '../io/atomic.js';
import { versions } from '../versions.js';
import { loadConfig, type Config } from './config.js';
import { runDemo } from './demo.js';
import { runEvaluate } from './evaluate.js';
import { progress } from './progress.js';
import { runRecommend } from './recommend.js';
import { runTrain } from './train.js';

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
};
const float = (name: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
  return n;
};
const list = (value: string) => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

interface Common { config?: string; data?: string; format?: string; split?: string; json?: boolean; quiet?: boolean }

function dataFlags(o: Common & { minRating?: number; kCore?: number; lenient?: boolean }): Config['data'] {
  return { path: o.data, format: o.format as never, split: o.split as never, minRating: o.minRating, kCore: o.kCore, lenient: o.lenient };
}

function withData(command: Command): Command {
  return command
    .option('-c, --config <file>', 'JSON config file (sections data, model, train, evaluate); flags override it')
    .option('-d, --data <file>', 'interactions file (.dat, .txt, .csv, .tsv, .jsonl, .inter, .parquet; .gz ok)')
    .option('--format <name>', 'auto | movielens | sasrec | csv | tsv | jsonl | recbole | parquet')
    .option('--split <kind>', 'leave-one-out (default) | temporal')
    .option('--min-rating <r>', 'keep events rated at least r', float('--min-rating'))
    .option('--k-core <k>', 'iteratively drop users and items with fewer than k events', int('--k-core'))
    .option('--lenient', 'skip and count malformed lines instead of failing')
    .option('--json', 'print only JSON on stdout')
    .option('-q, --quiet', 'no progress output');
}

const print = (json: boolean | undefined, value: unknown, text: () => string) => console.log(json ? JSON.stringify(value, null, 2) : text());

const program = new Command('seqrec').description('Transformer recommenders (SASRec, BERT4Rec) over LibTorch').showHelpAfterError();

withData(program.command('train').description('train a model with early stopping on held-out validation targets and save it'))
  .option('-o, --out <file>', 'model checkpoint to write', 'model.safetensors')
  .option('--arch <name>', 'sasrec | bert4rec')
  .option('--dim <n>', 'hidden size d', int('--dim'))
  .option('--layers <n>', 'transformer blocks', int('--layers'))
  .option('--heads <n>', 'attention heads', int('--heads'))
  .option('--max-len <n>', 'history length L', int('--max-len'))
  .option('--dropout <p>', 'dropout probability', float('--dropout'))
  .option('--seed <n>', 'seed of initialisation, batches and dropout', int('--seed'))
  .option('--threads <n>', 'CPU threads', int('--threads'))
  .option('--device <name>', 'cpu | cuda | cuda:N')
  .option('--epochs <n>', 'training epochs', int('--epochs'))
  .option('--batch-size <n>', 'sequences per step', int('--batch-size'))
  .option('--lr <x>', 'peak learning rate', float('--lr'))
  .option('--weight-decay <x>', 'AdamW weight decay', float('--weight-decay'))
  .option('--warmup-steps <n>', 'linear warmup steps', int('--warmup-steps'))
  .option('--schedule <name>', 'constant | linear | cosine')
  .option('--validate-every <n>', 'epochs between validations', int('--validate-every'))
  .option('--patience <n>', 'validations without improvement before stopping', int('--patience'))
  .option('--metric <name>', 'validation metric to maximise, e.g. ndcg@10')
  .option('--items <file>', 'item text (MovieLens movies.dat): each item becomes id embedding + learned projection of its text')
  .option('--text-encoder <name>', 'hashing (default) | a local Hugging Face BERT folder')
  .option('--text-dim <n>', 'hashing text vector width (default 256)', int('--text-dim'))
  .option('--text-cache <dir>', 'keep BERT text vectors here, so each title is encoded once')
  .option('--add-new-items', 'with --items: add its items that have no interactions, recommendable from their text alone')
  .option('--id-dropout <p>', 'share of steps an item id embedding is dropped (text models, default 0.5)', float('--id-dropout'))
  .action(async (o) => {
    const config = await loadConfig(o.config, {
      data: { ...dataFlags(o), items: o.items, addNewItems: o.addNewItems },
      model: {
        arch: o.arch, dim: o.dim, layers: o.layers, heads: o.heads, maxLen: o.maxLen, dropout: o.dropout, seed: o.seed, threads: o.threads, device: o.device,
        textDim: o.textDim, textEncoder: o.textEncoder, textCache: o.textCache,
      },
      train: {
        epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, weightDecay: o.weightDecay, warmupSteps: o.warmupSteps, schedule: o.schedule, validateEvery: o.validateEvery,
        patience: o.patience, metric: o.metric, idDropout: o.idDropout,
      },
    });
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const result = await runTrain(config, o.out, progress({ quiet: o.quiet === true || (o.json === true && !process.stderr.isTTY) }), abort.signal);
    print(o.json, result, () => {
      const v = result.validation;
      return [
        `data: ${result.dataset.name}: ${result.dataset.users} users, ${result.dataset.items} items, ${result.dataset.interactions} interactions`,
        ...(result.text ? [`item text: ${result.text.encoder}, width ${result.text.dim}${result.text.missing ? `, ${result.text.missing} items without an entry` : ''}${result.text.added ? `, ${result.text.added} new items added` : ''}`] : []),
        `trained ${result.steps} steps in ${result.trainSeconds.toFixed(1)} s`,
        ...(v ? [`best validation ${v.metric} ${v.best.toFixed(4)} at epoch ${v.bestEpoch}${v.stoppedEarly ? ' (stopped early)' : ''}`] : []),
        `saved ${result.model}`,
      ].join('\n');
    });
  });

withData(program.command('evaluate').description('evaluate a model beside most-popular and random: accuracy with CIs, coverage, novelty, fairness'))
  .requiredOption('-m, --model <file>', 'model checkpoint')
  .option('--metrics <list>', 'comma-separated metric names, e.g. hr@10,ndcg@10,coverage@10', list)
  .option('--protocol <name>', 'full (default) | sampled-100 (legacy, for comparison with old papers)')
  .option('--negatives <name>', 'sampled-100 negatives: uniform | popularity')
  .option('--users <file>', 'MovieLens users.dat for fairness by gender and age')
  .option('--groups <list>', 'user attributes to compare (with --users)', list)
  .option('--no-bootstrap', 'no confidence intervals')
  .option('--per-user <file>', 'write one CSV row per evaluated user')
  .option('-o, --out <file>', 'write the evaluation (the input of `seqrec report`) as JSON')
  .action(async (o) => {
    const config = await loadConfig(o.config, {
      data: dataFlags(o),
      evaluate: { metrics: o.metrics, protocol: o.protocol, negatives: o.negatives, users: o.users, groups: o.groups, bootstrap: o.bootstrap === false ? false : undefined },
    });
    const run = await runEvaluate(config, o.model, progress({ quiet: o.quiet === true || o.json === true }), o.perUser);
    if (o.out) await writeFileAtomic(o.out, `${JSON.stringify(run.report, null, 2)}\n`);
    print(o.json, run.report, () => {
      const rows = run.report.table.map((r) => `${r.name.padEnd(22)}${fmt(r.values.model)}${fmt(r.values.popularity)}${fmt(r.values.random)}`);
      const groups = (run.report.fairness ?? []).map((f) => `${f.attribute} (${f.metric}): ${f.report.groups.map((g) => `${g.group} ${g.mean.toFixed(4)}`).join(', ')}; gap ${f.report.gap.toFixed(4)}, ratio ${f.report.ratio.toFixed(3)}`);
      return [`${run.report.title}: ${run.evaluation.users} test users; ${run.report.protocol}`, `${'metric'.padEnd(22)}${'model'.padStart(10)}${'popular'.padStart(10)}${'random'.padStart(10)}`, ...rows, ...groups,
        ...(run.unknownItems ? [`${run.unknownItems} events of items the model never saw were left out`] : []), ...(o.out ? [`wrote ${o.out}`] : [])].join('\n');
    });
  });

program.command('recommend').description('top-K items for a history of item ids, or for a user of a data file')
  .requiredOption('-m, --model <file>', 'model checkpoint')
  .option('--history <ids>', 'comma-separated item ids, oldest first', list)
  .option('--user <id>', 'a user of --data: recommend after their whole history')
  .option('-c, --config <file>', 'JSON config file (its data section)')
  .option('-d, --data <file>', 'interactions file (with --user)')
  .option('--format <name>', 'data format (see train)')
  .option('-k, --k <n>', 'list length', int('--k'), 10)
  .option('--include-seen', 'allow items already in the history')
  .option('--json', 'print only JSON on stdout')
  .action(async (o) => {
    const config = await loadConfig(o.config, { data: { path: o.data, format: o.format } });
    const result = await runRecommend(config, { model: o.model, k: o.k, history: o.history, user: o.user, excludeSeen: o.includeSeen !== true });
    print(o.json, result, () => result.recommendations.map((r, i) => `${String(i + 1).padStart(3)}. ${r.id ?? r.item}  ${r.score.toFixed(4)}`).join('\n'));
  });

program.command('report').description('render an evaluation JSON (from `seqrec evaluate --out`) as one self-contained HTML file')
  .argument('<evaluation>', 'evaluation JSON file')
  .option('-o, --out <file>', 'HTML file to write', 'report.html')
  .action(async (input: string, o: { out: string }) => {
    const text = await readFile(input, 'utf8').catch((e: Error) => {
      throw new SeqrecError('E_INVALID_OPTION', `cannot read ${input}: ${e.message}`, { option: 'evaluation', file: input });
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SeqrecError('E_INVALID_DATA', `${input} is not valid JSON: ${(e as Error).message}`, { file: input });
    }
    await writeReport(o.out, checkReportData(parsed, input));
    console.log(`wrote ${o.out}`);
  });

program.command('demo')
  .description('train SASRec on the embedded synthetic data, evaluate, compare with most-popular')
  .option('--epochs <n>', 'training epochs', int('--epochs'), 20)
  .option('--users <n>', 'synthetic users', int('--users'), 2000)
  .option('--items <n>', 'synthetic items', int('--items'), 1000)
  .option('--seed <n>', 'seed of data and model', int('--seed'), 42)
  .option('--json', 'print the result as JSON only')
  .action(async (o: { epochs: number; users: number; items: number; seed: number; json?: boolean }) => {
    const json = o.json === true;
    const result = await runDemo({ ...o, json, log: json ? () => {} : (line) => console.log(line) });
    if (json) console.log(JSON.stringify(result));
  });

program.command('info')
  .description('print seqrec, LibTorch, CUDA and thread facts as JSON')
  .action(() => console.log(JSON.stringify(versions(), null, 2)));

function fmt(x: number): string {
  return (Number.isFinite(x) ? x.toFixed(4) : String(x)).padStart(10);
}

program.parseAsync().catch((e: unknown) => {
  console.error(isSeqrecError(e) ? `seqrec: ${e.code}: ${e.message}` : e);
  process.exit(1);
});
