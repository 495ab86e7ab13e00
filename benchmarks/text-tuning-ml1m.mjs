#!/usr/bin/env node
/**
 * MovieLens-1M end-to-end text encoder fine-tuning (issue 5): what fit({ textEncoder }) costs and buys
 * on cold items. No pretrained weights can be downloaded here, so the encoder is a seeded random BERT
 * in the bert_uncased_L-2_H-128_A-2 shape (2 blocks, H=128, 2 heads, feed-forward 512) over a WordPiece
 * vocabulary of the ML-1M title and genre words, written to a temporary Hugging Face folder. The
 * SASRec-preprocessed file with titles and genres; 10% of the items held out (split 'cold-items',
 * seed 0); text SASRec models (textDim 128, L=50, d=64, 2 blocks) trained with: the frozen encoder's
 * vectors (setItemText), and the same encoder tuned end to end with LoRA (r 8 on every linear layer),
 * re-encoding --items-per-step items per step. Cold test events ranked over all items (seen
 * excluded) and among the user's unseen cold items (benchmarks/cold-items.mjs). Speed: steps/s of each, and of re-encoding all 3417 items every step (--full-steps steps).
 *
 *   node benchmarks/text-tuning-ml1m.mjs [--epochs 5] [--items-per-step 256] [--full-steps 20] [--threads 2]
 *
 * Needs the built package (npm run build). Writes benchmarks/results/text-tuning-ml1m-<date>.json and
 * appends a row to RESULTS.md. Exits 0 with a message when ../shared/data is absent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, randomAmongCold, ranksAmongCold } from './cold-items.mjs';
import { DATA, commandLine, cpuDevice, ml1mFiles, recordRun, requireFiles } from './record.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = parseArgs({
  options: {
    data: { type: 'string', default: DATA },
    epochs: { type: 'string', default: '5' },
    'items-per-step': { type: 'string', default: '256' },
    'full-steps': { type: 'string', default: '20' },
    threads: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const files = ml1mFiles(a.data);
requireFiles([files.interactions, files.itemMap, files.userMap, files.movies]);
const lib = await import(join(here, '../dist/index.js'));
const started = Date.now();
const epochs = Number(a.epochs);
const itemsPerStep = Number(a['items-per-step']);

const data = (await lib.readSasrecText(files.interactions, { itemIdMap: files.itemMap, userIdMap: files.userMap })).withItemInfo(
  await lib.readMovieLensMovies(files.movies),
);
const texts = lib.itemText(data);
const { train, test, coldItems } = data.split('cold-items', { fraction: 0.1, seed: 0 });

// A random BERT folder: config.json, vocab.txt (special tokens + every lowercased word of the texts), model.safetensors.
const H = 128,
  LAYERS = 2,
  FFN = 512,
  POSITIONS = 64;
// as BERT's basic tokenizer splits them: lowercased, accents stripped, punctuation apart
const words = [
  ...new Set(
    texts.flatMap(
      (t) =>
        t
          .toLowerCase()
          .normalize('NFD')
          .replace(/\p{Mn}/gu, '')
          .match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [],
    ),
  ),
].sort();
const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words];
const folder = mkdtempSync(join(tmpdir(), 'seqrec-random-bert-'));
writeFileSync(join(folder, 'vocab.txt'), `${vocab.join('\n')}\n`);
writeFileSync(
  join(folder, 'config.json'),
  JSON.stringify({
    model_type: 'bert',
    hidden_size: H,
    num_hidden_layers: LAYERS,
    num_attention_heads: 2,
    intermediate_size: FFN,
    hidden_act: 'gelu',
    max_position_embeddings: POSITIONS,
    type_vocab_size: 2,
    vocab_size: vocab.length,
    layer_norm_eps: 1e-12,
  }),
);
const rand = lib.seededRandom(0);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const tensor = (name, shape, fill) => ({
  name,
  dtype: 'F32',
  shape,
  data: new Uint8Array(Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, fill).buffer),
});
const weight = (name, shape) => tensor(name, shape, () => 0.02 * normal()); // BERT's initializer_range
const norm = (name) => [tensor(`${name}.weight`, [H], () => 1), tensor(`${name}.bias`, [H], () => 0)];
const linear = (name, inputs, outputs) => [weight(`${name}.weight`, [outputs, inputs]), tensor(`${name}.bias`, [outputs], () => 0)];
const records = [
  weight('embeddings.word_embeddings.weight', [vocab.length, H]),
  weight('embeddings.position_embeddings.weight', [POSITIONS, H]),
  weight('embeddings.token_type_embeddings.weight', [2, H]),
  ...norm('embeddings.LayerNorm'),
];
for (let i = 0; i < LAYERS; i++) {
  const at = `encoder.layer.${i}`;
  records.push(
    ...linear(`${at}.attention.self.query`, H, H),
    ...linear(`${at}.attention.self.key`, H, H),
    ...linear(`${at}.attention.self.value`, H, H),
    ...linear(`${at}.attention.output.dense`, H, H),
    ...norm(`${at}.attention.output.LayerNorm`),
    ...linear(`${at}.intermediate.dense`, H, FFN),
    ...linear(`${at}.output.dense`, FFN, H),
    ...norm(`${at}.output.LayerNorm`),
  );
}
await lib.writeSafetensors(join(folder, 'model.safetensors'), { tensors: records, metadata: { format: 'pt' } });

const threads = a.threads ? { threads: Number(a.threads) } : {};
const encoder = await lib.BertTextEncoder.load(folder, { maxLength: 32, ...threads });
const arch = { items: data.numItems, dim: 64, layers: 2, heads: 2, maxLen: 50, dropout: 0.2, seed: 0, textDim: H, ...threads };
const fitOptions = { epochs, batchSize: 128, lr: 2e-3, warmupSteps: 100, minLrRatio: 0.05, weightDecay: 0.05 };
const lora = { r: 8, alpha: 16, targetModules: ['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense'] };
const metrics = ['hr@10', 'ndcg@10'];
const peakRss = () => process.resourceUsage().maxRSS / 2 ** 20; // GB (maxRSS is in KiB)

async function run(name, options, setText) {
  const model = await lib.SASRec.create(arch);
  if (setText) await model.setItemText(await encoder.encode(texts));
  const t0 = Date.now();
  const summary = await model.fit(train, {
    ...fitOptions,
    ...options,
    onProgress: (p) => p.step % 100 === 0 && console.log(`${name}: step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}`),
  });
  const seconds = (Date.now() - t0) / 1000;
  const ev = options.steps ? undefined : await model.evaluate(test, { metrics, train, bootstrap: false });
  const cold = options.steps ? undefined : await ranksAmongCold(model, test, coldItems);
  await model.dispose();
  const cell = (m, s) => ev.table.find((r) => r.name === m).values[s];
  return {
    name,
    steps: summary.steps,
    stepsPerSec: summary.steps / seconds,
    peakRssGB: peakRss(),
    ...(ev && {
      model: { 'hr@10': cell('hr@10', 'model'), 'ndcg@10': cell('ndcg@10', 'model'), medianRank: median(ev.ranks) },
      random: { 'hr@10': cell('hr@10', 'random'), 'ndcg@10': cell('ndcg@10', 'random') },
      amongCold: { 'hr@10': lib.hitRate(cold, 10), 'ndcg@10': lib.ndcg(cold, 10), medianRank: median(cold) },
    }),
  };
}
const rows = [
  await run('frozen encoder', {}, true),
  await run(`end-to-end LoRA, ${itemsPerStep} items per step`, { textEncoder: { encoder, texts, lora, itemsPerStep } }, false),
  await run(
    `end-to-end LoRA, all ${data.numItems} items per step (speed only)`,
    { steps: Number(a['full-steps']), textEncoder: { encoder, texts, lora } },
    false,
  ),
];
encoder.dispose();
rmSync(folder, { recursive: true, force: true });
const wallMinutes = (Date.now() - started) / 60000;
const f = (m) => `${m['hr@10'].toFixed(4)} / ${m['ndcg@10'].toFixed(4)}`;
const randomCold = randomAmongCold(test, coldItems, 10);
console.log('| text | steps/s | full HR@10 / NDCG@10 | among cold HR@10 / NDCG@10 (median rank) |\n| --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.stepsPerSec.toFixed(2)} | ${r.model ? f(r.model) : '-'} | ${r.amongCold ? `${f(r.amongCold)} (${r.amongCold.medianRank})` : '-'} |`,
  );
console.log(
  `random: full ${f(rows[0].random)}, among cold ${f(randomCold)}; ${coldItems.length} cold items, ${test.targets.length} test users; peak RSS ${peakRss().toFixed(2)} GB; wall ${wallMinutes.toFixed(1)} min`,
);
const result = {
  benchmark: 'text-tuning-ml1m',
  date: new Date().toISOString(),
  device: cpuDevice(lib.versions()),
  versions: lib.versions(),
  protocol: 'cold-items 10% (seed 0); full ranking of cold test targets, seen excluded; encoder: random BERT L-2 H-128 A-2 (no pretrained weights reachable)',
  randomAmongCold: randomCold,
  encoder: { layers: LAYERS, hidden: H, intermediate: FFN, vocab: vocab.length, maxLength: 32 },
  lora,
  model: arch,
  options: fitOptions,
  rows,
  wallMinutes,
  command: commandLine('text-tuning-ml1m.mjs'),
};
if (!a['no-record']) {
  const [frozen, tuned, full] = rows;
  recordRun(
    'text-tuning-ml1m',
    result,
    `text-tuning-ml1m | ${result.device} | cold-items 10% (seed 0), text SASRec textDim ${H} L=50 d=64 blocks=2, ${epochs} epochs; random BERT L-2 H-128 (no pretrained weights here), LoRA r 8 on all its linear layers | ` +
      `cold HR@10 / NDCG@10, full ranking and among cold items: frozen encoder ${f(frozen.model)}, ${f(frozen.amongCold)} at ${frozen.stepsPerSec.toFixed(2)} steps/s; ` +
      `end-to-end (${itemsPerStep} items/step) ${f(tuned.model)}, ${f(tuned.amongCold)} at ${tuned.stepsPerSec.toFixed(2)} steps/s | ` +
      `random ${f(frozen.random)}, ${f(randomCold)}; all ${data.numItems} items/step ${full.stepsPerSec.toFixed(3)} steps/s; peak RSS ${peakRss().toFixed(2)} GB; ${wallMinutes.toFixed(1)} min wall | \`${result.command}\``,
  );
}
