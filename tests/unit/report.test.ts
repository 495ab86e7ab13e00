/**
 * Reports: checkReportData accepts a complete evaluation and names the bad field's path; renderReport gives one
 * self-contained HTML page (one <svg> per chart the data supports, no script, no URL but SVG namespaces,
 * escaped text) and the same bytes for the same data.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricRow } from '../../lib/eval/report.js';
import { MAX_LOSS_POINTS, formatNumber, reportCharts } from '../../lib/report/charts.js';
import { checkReportData, type ReportData } from '../../lib/report/data.js';
import { renderReport, writeReport } from '../../lib/report/render.js';
import { simulate } from '../../lib/sim/simulate.js';
import { syntheticPopulation } from '../../lib/sim/population.js';

const ci = (mean: number, half: number) => ({ mean, lower: mean - half, upper: mean + half, confidence: 0.95, resamples: 1000 });

function rankRow(name: string, model: number, popularity: number, random: number): MetricRow {
  return {
    name,
    higherIsBetter: true,
    values: { model, popularity, random },
    ci: { model: ci(model, 0.01), popularity: ci(popularity, 0.008), random: ci(random, 0.001) },
  };
}

const listRow = (name: string, higherIsBetter: boolean, model: number, popularity: number, random: number): MetricRow => ({
  name,
  higherIsBetter,
  values: { model, popularity, random },
});

/** Charts it yields: train loss, validation, hr@K, ndcg@K, coverage, exposure, 2 × fairness = 8. */
function fullReport(): ReportData {
  return {
    title: 'SASRec on ML-1M',
    generatedAt: '2024-05-01T12:00:00.000Z',
    protocol: 'full ranking over 3416 items, seen items excluded',
    dataset: { name: 'ml-1m', users: 6040, items: 3416, interactions: 999611 },
    model: { architecture: 'sasrec', config: { d: 64, layers: 2, heads: 1, dropout: 0.2, maxLen: 200 }, parameters: 318_592, trainSeconds: 2711.4 },
    table: [
      rankRow('hr@5', 0.2012, 0.0795, 0.0015),
      rankRow('hr@10', 0.3061, 0.1401, 0.0029),
      rankRow('hr@20', 0.4203, 0.2212, 0.0059),
      rankRow('ndcg@10', 0.1743, 0.0745, 0.0013),
      rankRow('ndcg@20', 0.2031, 0.0948, 0.0021),
      rankRow('mrr', 0.1502, 0.0651, 0.0018),
      listRow('coverage@10', true, 0.4121, 0.0061, 0.9987),
      listRow('coverage@20', true, 0.5533, 0.0091, 0.9999),
      listRow('gini@10', false, 0.8012, 0.9971, 0.1203),
      listRow('avgPopularity@10', false, 1234.56, 2890.1, 292.6),
    ],
    trainLoss: Array.from({ length: 1200 }, (_, i) => ({ step: i + 1, loss: 8 * Math.exp(-i / 300) + 0.4 + 0.1 * Math.sin(i) })),
    validation: {
      metric: 'ndcg@10',
      history: Array.from({ length: 8 }, (_, e) => ({ epoch: (e + 1) * 20, step: (e + 1) * 3000, value: 0.17 - 0.05 / (e + 1), trainLoss: 1 / (e + 1) })),
      bestEpoch: 140,
    },
    exposure: Array.from({ length: 600 }, (_, i) => ({
      item: String(i + 1),
      trainCount: Math.floor(3000 / (i + 1)),
      recommended: i % 7 === 0 ? 0 : Math.floor(2000 / (i + 2)),
    })),
    fairness: [
      {
        attribute: 'gender',
        metric: 'ndcg@10',
        report: {
          groups: [
            { group: 'M', count: 4331, mean: 0.1701 },
            { group: 'F', count: 1709, mean: 0.1849 },
          ],
          gap: 0.0148,
          ratio: 0.92,
        },
      },
      {
        attribute: 'activity',
        metric: 'hr@10',
        report: {
          groups: [
            { group: 'low', count: 2014, mean: 0.25 },
            { group: 'mid', count: 2013, mean: 0.31 },
            { group: 'high', count: 2013, mean: 0.36 },
          ],
          gap: 0.11,
          ratio: 0.6944,
        },
      },
    ],
  };
}

/** Only the required fields: a table without K series, CIs or coverage, so no chart at all. */
function minimalReport(): ReportData {
  return {
    title: 'Minimal',
    generatedAt: '2024-05-01',
    protocol: 'full ranking, seen items excluded',
    table: [listRow('mrr', true, 0.15, 0.06, 0.002)],
  };
}

/** A deep copy that a test may break in one place. */
const fresh = (): ReportData => JSON.parse(JSON.stringify(fullReport())) as ReportData;
const count = (html: string, needle: string) => html.split(needle).length - 1;
// The one place a URL may appear: the SVG namespace declarations vega writes on each <svg>.
const withoutNamespaces = (html: string) => html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]+"/g, '');

let rendered: Promise<string> | undefined;
const renderedFull = () => (rendered ??= renderReport(fullReport()));

describe('checkReportData', () => {
  it('accepts a complete report and the minimal one, as JSON read back from disk', () => {
    const full = fresh();
    expect(checkReportData(full, 'eval.json')).toEqual(fullReport());
    expect(checkReportData(JSON.parse(JSON.stringify(minimalReport())), 'eval.json')).toEqual(minimalReport());
  });

  // Each case breaks one field of a fresh copy (untyped on purpose: it writes what the type forbids).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cases: [string, (d: any) => unknown][] = [
    ['title', (d) => (d.title = 42)],
    ['generatedAt', (d) => (d.generatedAt = 'yesterday')],
    ['generatedAt', (d) => (d.generatedAt = '2024-05-01T12:00:00')],
    ['dataset.users', (d) => (d.dataset.users = -1)],
    ['model.trainSeconds', (d) => (d.model.trainSeconds = '45 min')],
    ['table', (d) => (d.table = [])],
    ['table[2].values.model', (d) => (d.table[2].values.model = 'high')],
    ['table[1].ci.random.lower', (d) => delete d.table[1].ci.random.lower],
    ['table[0].ci.model.upper', (d) => (d.table[0].ci.model.upper = 0)],
    ['table[1].name', (d) => (d.table[1].name = d.table[0].name)],
    ['trainLoss[3].loss', (d) => (d.trainLoss[3].loss = null)],
    ['validation.history[0].epoch', (d) => (d.validation.history[0].epoch = 1.5)],
    ['exposure[5].item', (d) => (d.exposure[5].item = 5)],
    ['fairness[1].report.groups[2].mean', (d) => (d.fairness[1].report.groups[2].mean = '0.3')],
    ['fairness[0].report.groups', (d) => (d.fairness[0].report.groups = [])],
  ];
  it.each(cases)('names the bad field %s and the source file', (path, breakIt) => {
    const data = fresh();
    breakIt(data);
    const err = (() => {
      try {
        return checkReportData(data, 'runs/eval.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ name: 'SeqrecError', code: 'E_INVALID_DATA', details: { source: 'runs/eval.json', field: path } });
    expect((err as Error).message).toContain(`Expected ${path} in runs/eval.json to be`);
  });

  it('rejects a file that is not one object', () => {
    expect(() => checkReportData([fullReport()], 'eval.json')).toThrowError('Expected report in eval.json to be an object but found [{');
    expect(() => checkReportData(null, 'eval.json')).toThrowError('Expected report in eval.json to be an object but found null of type null');
  });

  it('rejects unknown fields, suggesting the known one', () => {
    const data = fresh() as unknown as Record<string, unknown>;
    data.titel = data.title;
    expect(() => checkReportData(data, 'eval.json')).toThrowError(/Unknown field titel in eval\.json \(did you mean title\?\)/);
    const row = fresh();
    (row.table[0]!.values as Record<string, number>).pop = 0.1;
    expect(() => checkReportData(row, 'eval.json')).toThrowError(
      expect.objectContaining({ code: 'E_INVALID_DATA', details: expect.objectContaining({ field: 'table[0].values.pop' }) }),
    );
  });
});

describe('reportCharts', () => {
  it('draws each kind of chart once its data is present, in report order', () => {
    expect(reportCharts(fullReport()).map((c) => c.id)).toEqual([
      'chart-train-loss',
      'chart-validation',
      'chart-hr-at-k',
      'chart-ndcg-at-k',
      'chart-coverage',
      'chart-exposure',
      'chart-fairness-1',
      'chart-fairness-2',
    ]);
    expect(reportCharts(minimalReport())).toEqual([]);
  });

  it('plots a closed-loop simulation round by round, one line per run, and checks its rows', async () => {
    const population = syntheticPopulation({ users: 20, items: 40, seed: 1 });
    const run = async (policy: 'popularity' | 'random') => ({
      name: policy,
      rounds: (await simulate({ population, policy, rounds: 3, k: 5, seed: 1 })).rounds,
    });
    const data = { ...minimalReport(), simulation: [await run('popularity'), await run('random')] };
    const charts = reportCharts(checkReportData(JSON.parse(JSON.stringify(data)), 'sim.json'));
    expect(charts.map((c) => c.id)).toEqual(
      ['utility', 'coverage', 'gini', 'novelty', 'popularityLift', 'homogenization', 'groupGap'].map((m) => `chart-simulation-${m}`),
    );
    const values = (charts[1]!.spec as { data: { values: { run: string; round: number; value: number }[] } }).data.values;
    expect(values).toHaveLength(6);
    expect(values.find((v) => v.run === 'random' && v.round === 3)!.value).toBe(data.simulation[1]!.rounds[2]!.coverage);
    expect(count(await renderReport(data), '<svg')).toBe(7);
    const simulationOnly = await renderReport({ ...data, table: [] }); // a report of simulations needs no metric table
    expect(count(simulationOnly, '<svg')).toBe(7);
    expect(simulationOnly).not.toContain('<h2>Metrics</h2>');
    expect(() => checkReportData({ ...minimalReport(), table: [] }, 'r.json')).toThrowError(/non-empty/);
    const bad = JSON.parse(JSON.stringify(data));
    delete bad.simulation[0].rounds[1].gini;
    expect(() => checkReportData(bad, 'sim.json')).toThrowError(/simulation\[0\]\.rounds\[1\]\.gini in sim\.json/);
  });

  it('averages a long loss curve into at most MAX_LOSS_POINTS points that keep its ends', () => {
    const [loss] = reportCharts(fullReport());
    const values = (loss!.spec as { data: { values: { step: number; loss: number }[] } }).data.values;
    expect(values.length).toBeLessThanOrEqual(MAX_LOSS_POINTS);
    expect(values[0]!.step).toBeLessThan(3);
    expect(values.at(-1)!.step).toBeGreaterThan(1198);
    expect(values.every((p, i) => i === 0 || p.step > values[i - 1]!.step)).toBe(true);
  });

  it('merges the exposure points of items with the same counts', () => {
    const data = minimalReport();
    data.exposure = [
      { item: 'a', trainCount: 0, recommended: 0 },
      { item: 'b', trainCount: 0, recommended: 0 },
      { item: 'c', trainCount: 9, recommended: 99 },
    ];
    const [chart] = reportCharts(data);
    expect((chart!.spec as { data: { values: unknown[] } }).data.values).toEqual([
      { train: 1, recommended: 1, items: 2 },
      { train: 10, recommended: 100, items: 1 },
    ]);
  });
});

describe('renderReport', () => {
  it('gives one inline <svg> inside a captioned <figure> per chart', async () => {
    const html = await renderedFull();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(count(html, '<svg')).toBe(8);
    expect(count(html, '<figure')).toBe(8);
    expect(count(html, '<figcaption>')).toBe(8);
    for (const row of fullReport().table) expect(html).toContain(`<th scope="row">${row.name} `);
    expect(html).toContain('Generated <time datetime="2024-05-01T12:00:00.000Z">2024-05-01 12:00 UTC</time>');
    expect(html).toContain('<dd>ml-1m: 6,040 users, 3,416 items, 999,611 interactions</dd>');
    expect(html).toContain('<dt>Training time</dt><dd>45 min 11 s</dd>');
  });

  it('is self-contained: no script, no URL but the SVG namespaces, no id used twice', async () => {
    const html = await renderedFull();
    expect(html).not.toMatch(/<script/i);
    expect(withoutNamespaces(html)).not.toMatch(/http/i);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).not.toContain('url(#'); // vega's counter-numbered clip and gradient ids, see charts.ts
  });

  it('emphasises the best value of each row by its direction and shows the CIs', async () => {
    const html = await renderedFull();
    const row = (name: string) => html.split('\n').find((l) => l.startsWith(`<tr><th scope="row">${name} `))!;
    expect(row('hr@10')).toContain('<td class="best"><strong>0.3061</strong><span class="ci">[0.2961, 0.3161]</span></td>');
    expect(row('gini@10')).toMatch(/<td class="best"><strong>0\.1203<\/strong><\/td><\/tr>$/);
    expect(row('avgPopularity@10')).toContain(`<td class="best"><strong>${formatNumber(292.6)}</strong>`);
    expect(count(html, 'class="best"')).toBe(fullReport().table.length);
    expect(html).toContain('95% bootstrap confidence intervals');
  });

  it('escapes text from the data in HTML and in the SVGs', async () => {
    const data = fullReport();
    data.title = 'Run <b>&';
    data.fairness![0]!.attribute = '<i>"sex"</i>';
    const html = await renderReport(data);
    expect(html).toContain('<title>Run &lt;b&gt;&amp;</title>');
    expect(html).toContain('<h1>Run &lt;b&gt;&amp;</h1>');
    expect(html).not.toContain('<b>&');
    expect(html).not.toContain('<i>');
  });

  it('leaves out the charts whose data is absent', async () => {
    const data = fullReport();
    delete data.trainLoss;
    delete data.exposure;
    data.fairness = [data.fairness![1]!];
    expect(count(await renderReport(data), '<svg')).toBe(5);
    const minimal = await renderReport(minimalReport());
    expect(count(minimal, '<svg')).toBe(0);
    expect(minimal).not.toContain('<h2>Charts</h2>');
    expect(minimal).not.toContain('bootstrap');
  });

  it('draws intervals only for the rows that have them', async () => {
    const data = fullReport();
    delete data.table[1]!.ci;
    const html = await renderReport(data);
    expect(count(html, '<svg')).toBe(8);
    expect(html).not.toContain('NaN');
  });

  it('gives the same bytes for the same data, also when renders overlap', async () => {
    const first = await renderedFull();
    const [a, b] = await Promise.all([renderReport(fullReport()), renderReport(fullReport())]);
    expect(a).toBe(first);
    expect(b).toBe(first);
  });

  it('rejects invalid data with the field path', async () => {
    const data = fresh();
    (data.table[0]!.values as Record<string, unknown>).random = Number.NaN;
    await expect(renderReport(data)).rejects.toMatchObject({
      code: 'E_INVALID_DATA',
      message: 'Expected table[0].values.random in the report data to be a finite number but found NaN of type number',
      details: { field: 'table[0].values.random' },
    });
  });
});

describe('writeReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqrec-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the rendered page and nothing else', async () => {
    const path = join(dir, 'report.html');
    await writeReport(path, minimalReport());
    expect(readFileSync(path, 'utf8')).toBe(await renderReport(minimalReport()));
    expect(readdirSync(dir)).toEqual(['report.html']);
  });

  it('leaves no file when aborted and rejects unknown options', async () => {
    const path = join(dir, 'aborted.html');
    await expect(writeReport(path, minimalReport(), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(readdirSync(dir)).not.toContain('aborted.html');
    await expect(writeReport(path, minimalReport(), { sigal: 1 } as never)).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });
});
