/**
 * The `seqrec` command: `train`, `evaluate`, `recommend`, `report`, `demo` and `info`, parsed by commander.
 * Options come from flags or a JSON `--config` file (validated together, flags win, see ./config.ts).
 * Progress goes to stderr (a bar on a terminal, plain lines otherwise); `--json` prints only JSON on stdout.
 * Errors print their code and message and exit 1; Ctrl-C aborts training cleanly (nothing half-written).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, type OptionValues } from 'commander';
import { SeqrecError, isSeqrecError } from '../errors.js';
import { checkReportData } from '../report/data.js';
import { writeReport } from '../report/render.js';
import { writeFileAtomic } from '../io/atomic.js';
import { versions } from '../versions.js';
import { packageRoot } from '../native/loader.js';
import { MODEL_DEFAULTS } from '../models/config.js';
import { FIT_DEFAULTS } from '../train/fit-options.js';
import { VALIDATION_DEFAULTS } from '../train/validation.js';
import { loadConfig, readJsonFile, type Config } from './config.js';
import { HASHING_DIM } from './item-text.js';
import { runDemo } from './demo.js';
import { startServer } from '../serve/server.js';
import { runSimulateCommand } from './simulate.js';
import { runEvaluate } from './evaluate.js';
import { progress } from './progress.js';
import { runRecommend } from './recommend.js';
import { runTrain } from './train.js';
import { launchRanks } from './launch.js';
import { describeUnknown } from './load-data.js';

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
const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
/** Help text of a default the library applies (commander's own defaults would override the config file). */
const dflt = (value: unknown) => ` (default: ${typeof value === 'string' ? value : JSON.stringify(value)})`;

interface Common {
  config?: string;
  data?: string;
  format?: string;
  split?: string;
  json?: boolean;
  quiet?: boolean;
}

function dataFlags(o: Common & { minRating?: number; kCore?: number; lenient?: boolean }): Config['data'] {
  return { path: o.data, format: o.format as never, split: o.split as never, minRating: o.minRating, kCore: o.kCore, lenient: o.lenient };
}

function withData(command: Command): Command {
  return command
    .option('-c, --config <file>', 'JSON config file (sections data, model, train, evaluate); flags override it')
    .option('-d, --data <file>', 'interactions file (.dat, .txt, .csv, .tsv, .jsonl, .inter, .parquet; .gz ok)')
    .option('--format <name>', `auto | movielens | sasrec | csv | tsv | jsonl | recbole | parquet${dflt('auto')}`)
    .option('--split <kind>', `leave-one-out | temporal${dflt('leave-one-out')}`)
    .option('--min-rating <r>', 'keep events rated at least r (default: keep all)', float('--min-rating'))
    .option('--k-core <k>', `iteratively drop users and items with fewer than k events${dflt(0)}`, int('--k-core'))
    .option('--lenient', 'skip and count malformed lines instead of failing')
    .option('--json', 'print only JSON on stdout')
    .option('-q, --quiet', 'no progress output');
}

const print = (json: boolean | undefined, value: unknown, text: () => string) => console.log(json ? JSON.stringify(value, null, 2) : text());

// --version reads package.json, so it answers even where the native addon cannot load.
const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
const program = new Command('seqrec').description('Transformer recommenders (SASRec, BERT4Rec) over LibTorch').version(version).showHelpAfterError();

withData(
  program
    .command('train')
    .description('train a model with early stopping on held-out validation targets and save it; Ctrl-C saves the run, --resume continues it'),
)
  .option('-o, --out <file>', 'model checkpoint to write (with --resume: the resumed file)', 'model.safetensors')
  .option('--resume <file>', 'continue the interrupted run saved in this checkpoint, exactly, with the configuration it holds')
  .option('--arch <name>', `sasrec | bert4rec${dflt('sasrec')}`)
  .option('--dim <n>', `hidden size d${dflt('from the data: 64, 32 below 20k events')}`, int('--dim'))
  .option('--layers <n>', `transformer blocks${dflt(MODEL_DEFAULTS.layers)}`, int('--layers'))
  .option('--heads <n>', `attention heads${dflt(MODEL_DEFAULTS.heads)}`, int('--heads'))
  .option('--max-len <n>', `history length L${dflt('from the data: 90th percentile of lengths, in [8, 200]')}`, int('--max-len'))
  .option('--positions <where>', `SASRec positions: end (published) or start (one-position session appends)${dflt(MODEL_DEFAULTS.positions)}`)
  .option('--dropout <p>', `dropout probability${dflt('from the data: 0.2 dense, 0.5 sparse')}`, float('--dropout'))
  .option('--seed <n>', `seed of initialisation, batches and dropout${dflt(MODEL_DEFAULTS.seed)}`, int('--seed'))
  .option('--threads <n>', `CPU threads${dflt(`all cores, ${availableParallelism()} here`)}`, int('--threads'))
  .option('--device <name>', `cpu | cuda | cuda:N${dflt(MODEL_DEFAULTS.device)}`)
  .option('--epochs <n>', `training epochs${dflt('from the data: ~4e7 target visits, in [20, 200]')}`, int('--epochs'))
  .option('--batch-size <n>', `sequences per step${dflt(FIT_DEFAULTS.batchSize)}`, int('--batch-size'))
  .option('--lr <x>', `peak learning rate${dflt(2e-3)}`, float('--lr'))
  .option('--weight-decay <x>', `AdamW weight decay${dflt(0.05)}`, float('--weight-decay'))
  .option('--warmup-steps <n>', `linear warmup steps${dflt('200, or a tenth of the run')}`, int('--warmup-steps'))
  .option('--schedule <name>', `constant | linear | cosine${dflt('cosine to 5%')}`)
  .option('--loss <name>', `ce | bce | gbce | sampled-softmax${dflt('ce')}`)
  .option(
    '--negatives <n>',
    `negatives per target (bce, gbce) or shared per batch (sampled-softmax)${dflt('bce 1, gbce 256, sampled-softmax 1024')}`,
    int('--negatives'),
  )
  .option('--gbce-t <t>', `gbce calibration t in [0, 1]${dflt(0.75)}`, float('--gbce-t'))
  .option('--contrastive <weight>', `add CL4SRec contrastive learning (crop, mask, reorder; InfoNCE) with this weight${dflt('off')}`, float('--contrastive'))
  .option('--validate-every <n>', `epochs between validations${dflt('about 12 validations per run')}`, int('--validate-every'))
  .option('--patience <n>', `validations without improvement before stopping${dflt(3)}`, int('--patience'))
  .option('--metric <name>', `validation metric to maximise${dflt(VALIDATION_DEFAULTS.metric)}`)
  .option('--items <file>', 'item text (MovieLens movies.dat): each item becomes id embedding + learned projection of its text (default: none)')
  .option('--text-encoder <name>', `hashing | a local Hugging Face BERT folder${dflt('hashing')}`)
  .option('--text-dim <n>', `hashing text vector width${dflt(HASHING_DIM)}`, int('--text-dim'))
  .option('--text-cache <dir>', 'keep BERT text vectors here, so each title is encoded once (default: no cache)')
  .option('--add-new-items', 'with --items: add its items that have no interactions, recommendable from their text alone')
  .option('--id-dropout <p>', `share of steps an item id embedding is dropped, text models${dflt(FIT_DEFAULTS.textIdDropout)}`, float('--id-dropout'))
  .option(
    '--nproc <n>',
    `train as n local processes (data parallel: each takes its share of every step and of the cores)${dflt('1, this process alone')}`,
    int('--nproc'),
  )
  .option('--distributed', 'train as one rank of a distributed run: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT from the environment; rank 0 saves')
  .action(async (o, command: Command) => {
    if (o.nproc !== undefined && o.nproc > 1) {
      const args = process.argv.slice(2).filter((a, i, all) => a !== '--nproc' && all[i - 1] !== '--nproc' && !a.startsWith('--nproc='));
      process.exitCode = await launchRanks(o.nproc, args, process.argv[1]!);
      return;
    }
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const show = progress({ quiet: o.quiet === true || (o.json === true && !process.stderr.isTTY) });
    const result =
      o.resume === undefined
        ? await runTrain(await trainConfig(o), o.out, show, abort.signal, undefined, o.distributed === true)
        : await runTrain({}, resumeOut(o, command), show, abort.signal, resumeOnly(o.resume, command), o.distributed === true);
    if (result.interrupted) {
      const { steps, totalSteps } = result.interrupted;
      console.error(
        `seqrec: interrupted after step ${steps}${totalSteps ? ` of ${totalSteps}` : ''}; saved the run (and its best validated weights) to ${result.model}`,
      );
      console.error(`seqrec: continue it with: seqrec train --resume ${result.model}`);
    }
    print(o.json, result, () => {
      const v = result.validation;
      return [
        `data: ${result.dataset.name}: ${result.dataset.users} users, ${result.dataset.items} items, ${result.dataset.interactions} interactions`,
        ...(result.text
          ? [
              `item text: ${result.text.encoder}, width ${result.text.dim}${result.text.missing ? `, ${result.text.missing} items without an entry` : ''}${result.text.added ? `, ${result.text.added} new items added` : ''}`,
            ]
          : []),
        ...Object.entries(result.fromData).map(([setting, why]) => `${setting} from the data: ${why}`),
        `trained ${result.steps} steps in ${result.trainSeconds.toFixed(1)} s`,
        ...(v ? [`best validation ${v.metric} ${v.best.toFixed(4)} at epoch ${v.bestEpoch}${v.stoppedEarly ? ' (stopped early)' : ''}`] : []),
        `saved ${result.model}`,
      ].join('\n');
    });
    if (result.interrupted) process.exitCode = 130; // as a shell reports a command ended by SIGINT
  });

/** The train command's configuration from --config and its flags. */
function trainConfig(o: OptionValues): Promise<Config> {
  return loadConfig(o.config, {
    data: { ...dataFlags(o), items: o.items, addNewItems: o.addNewItems },
    model: {
      arch: o.arch,
      dim: o.dim,
      layers: o.layers,
      heads: o.heads,
      maxLen: o.maxLen,
      positions: o.positions,
      dropout: o.dropout,
      seed: o.seed,
      threads: o.threads,
      device: o.device,
      textDim: o.textDim,
      textEncoder: o.textEncoder,
      textCache: o.textCache,
    },
    train: {
      epochs: o.epochs,
      batchSize: o.batchSize,
      lr: o.lr,
      weightDecay: o.weightDecay,
      warmupSteps: o.warmupSteps,
      schedule: o.schedule,
      loss: o.loss,
      negatives: o.negatives,
      gbceT: o.gbceT,
      contrastive: o.contrastive,
      validateEvery: o.validateEvery,
      patience: o.patience,
      metric: o.metric,
      idDropout: o.idDropout,
    },
  });
}

/** --resume continues the run as it was configured: any flag that would change it is refused, naming it. */
function resumeOnly(path: string, command: Command): string {
  const allowed = new Set(['resume', 'out', 'json', 'quiet']);
  const given = command.options.find((opt) => !allowed.has(opt.attributeName()) && command.getOptionValueSource(opt.attributeName()) === 'cli');
  if (given) {
    throw new SeqrecError(
      'E_INVALID_OPTION',
      `--resume continues the run with the configuration saved in ${path}; drop ${given.long ?? given.flags} (only --out, --json and --quiet go with --resume)`,
      { option: given.long ?? given.flags },
    );
  }
  return path;
}

/** Where a resumed run is saved: --out when given, else over the checkpoint it resumes. */
function resumeOut(o: { out: string; resume: string }, command: Command): string {
  return command.getOptionValueSource('out') === 'cli' ? o.out : o.resume;
}

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
      evaluate: {
        metrics: o.metrics,
        protocol: o.protocol,
        negatives: o.negatives,
        users: o.users,
        groups: o.groups,
        bootstrap: o.bootstrap === false ? false : undefined,
      },
    });
    const run = await runEvaluate(config, o.model, progress({ quiet: o.quiet === true || o.json === true }), o.perUser);
    if (o.out) await writeFileAtomic(o.out, `${JSON.stringify(run.report, null, 2)}\n`);
    print(o.json, run.report, () => {
      const rows = run.report.table.map((r) => `${r.name.padEnd(22)}${fmt(r.values.model)}${fmt(r.values.popularity)}${fmt(r.values.random)}`);
      const groups = (run.report.fairness ?? []).map(
        (f) =>
          `${f.attribute} (${f.metric}): ${f.report.groups.map((g) => `${g.group} ${g.mean.toFixed(4)}`).join(', ')}; gap ${f.report.gap.toFixed(4)}, ratio ${f.report.ratio.toFixed(3)}`,
      );
      return [
        `${run.report.title}: ${run.evaluation.users} test users; ${run.report.protocol}`,
        `${'metric'.padEnd(22)}${'model'.padStart(10)}${'popular'.padStart(10)}${'random'.padStart(10)}`,
        ...rows,
        ...groups,
        ...(run.unknownItems.events ? [describeUnknown(run.unknownItems)] : []),
        ...(o.out ? [`wrote ${o.out}`] : []),
      ].join('\n');
    });
  });

program
  .command('recommend')
  .description('top-K items for a history of item ids, or for a user of a data file')
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
    if (result.unknownItems.events) console.error(`seqrec: ${describeUnknown(result.unknownItems)}`);
    print(o.json, result, () => result.recommendations.map((r, i) => `${String(i + 1).padStart(3)}. ${r.id ?? r.item}  ${r.score.toFixed(4)}`).join('\n'));
  });

program
  .command('serve')
  .description('serve a model over HTTP (loopback by default): /recommend, /explain, /session/:id/events, /health, /metrics, /reload')
  .requiredOption('-m, --model <file>', 'model checkpoint (loaded for inference: no optimizer state)')
  .option('--adapters <dir>', 'folder of PEFT adapter folders, each loaded under its folder name (default: none)')
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('-p, --port <n>', 'port (0: any free one)', int('--port'), 8080)
  .option('--threads <n>', "CPU threads of the model (default: the checkpoint's)", int('--threads'))
  .option('--body-limit <bytes>', 'largest request body', int('--body-limit'), 1 << 20)
  .option('--max-sessions <n>', 'sessions kept (their last maxLen events), least recently used dropped first', int('--max-sessions'), 100_000)
  .option('--live-sessions <n>', "sessions that also keep the model's keys and values (one-position appends)", int('--live-sessions'), 1024)
  .action(async (o) => {
    const server = await startServer({
      model: o.model,
      host: o.host,
      port: o.port,
      bodyLimit: o.bodyLimit,
      maxSessions: o.maxSessions,
      liveSessions: o.liveSessions,
      ...(o.adapters !== undefined && { adapters: o.adapters }),
      ...(o.threads !== undefined && { threads: o.threads }),
    });
    console.error(`seqrec: serving ${o.model} at ${server.url} (Ctrl-C stops after answering the requests in flight)`);
    const stop = () => {
      console.error('seqrec: stopping');
      server.close().then(
        () => process.exit(0),
        (e: unknown) => {
          console.error(e);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('report')
  .description('render an evaluation JSON (from `seqrec evaluate --out`) as one self-contained HTML file')
  .argument('<evaluation>', 'evaluation JSON file')
  .option('-o, --out <file>', 'HTML file to write', 'report.html')
  .action(async (input: string, o: { out: string }) => {
    const parsed = await readJsonFile(input, 'evaluation');
    await writeReport(o.out, checkReportData(parsed, input));
    console.log(`wrote ${o.out}`);
  });

program
  .command('simulate')
  .description('run the closed-loop simulator: each policy of the config on one synthetic population, round by round')
  .requiredOption('-c, --config <file>', 'simulation config JSON: population, policies, rounds, k, startEvents, choice, temperature, positionBias, seed')
  .option('--rounds <n>', 'rounds (overrides the config)', int('--rounds'))
  .option('-o, --out <file>', 'write the runs as JSON')
  .option('--report <file>', 'write the HTML report with the simulation plots')
  .option('--json', 'print the runs as JSON only')
  .action(async (o: { config: string; rounds?: number; out?: string; report?: string; json?: boolean }) => {
    const json = o.json === true;
    const result = await runSimulateCommand({ ...o, log: json ? () => {} : (line) => console.log(line) });
    if (json) console.log(JSON.stringify(result));
    else for (const file of [o.out, o.report].filter(Boolean)) console.log(`wrote ${file}`);
  });

program
  .command('demo')
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

program
  .command('info')
  .description('print seqrec, LibTorch, CUDA and thread facts as JSON')
  .action(() => console.log(JSON.stringify(versions(), null, 2)));

function fmt(x: number): string {
  return (Number.isFinite(x) ? x.toFixed(4) : String(x)).padStart(10);
}

program.parseAsync().catch((e: unknown) => {
  console.error(isSeqrecError(e) ? `seqrec: ${e.code}: ${e.message}` : e);
  process.exit(1);
});
