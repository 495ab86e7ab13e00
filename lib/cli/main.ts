/**
 * The `seqrec` command. Subcommands: `demo` (the README's main job) and `info` (versions).
 * Parsing by commander; errors print their code and message and exit 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { isSeqrecError } from '../errors.js';
import { versions } from '../versions.js';
import { runDemo } from './demo.js';

function intArg(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

const program = new Command('seqrec').description('Transformer recommenders (SASRec, BERT4Rec) over LibTorch');

program
  .command('demo')
  .description('train SASRec on the embedded synthetic data, evaluate, compare with most-popular')
  .option('--epochs <n>', 'training epochs', intArg('--epochs'), 20)
  .option('--users <n>', 'synthetic users', intArg('--users'), 2000)
  .option('--items <n>', 'synthetic items', intArg('--items'), 1000)
  .option('--seed <n>', 'seed of data and model', intArg('--seed'), 42)
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

program.parseAsync().catch((e: unknown) => {
  console.error(isSeqrecError(e) ? `seqrec: ${e.code}: ${e.message}` : e);
  process.exit(1);
});
