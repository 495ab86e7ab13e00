/**
 * `seqrec report`: one self-contained HTML5 file (inline CSS, inline SVG, no script, no external URL) that
 * opens offline and survives being mailed or archived. Charts are rendered to SVG here with vega's headless
 * renderer, so the reader's browser runs nothing. The data checks live in ./data.ts, the chart specs in ./charts.ts.
 */
import { writeFileAtomic } from '../io/atomic.js';
import type { MetricRow, Scorer } from '../eval/report.js';
import { abortSignal, invalid, noUnknownKeys, optionsObject } from '../validate.js';
import { formatNumber, percent, reportCharts, type Chart } from './charts.js';
import { checkReportData, type ReportData } from './data.js';

export interface WriteReportOptions {
  /** (AbortSignal) cancels the write; the target file is then left unchanged */
  signal?: AbortSignal;
}

/** The report as an HTML document. Checks `data` first (E_INVALID_DATA naming the bad field). */
export async function renderReport(data: ReportData): Promise<string> {
  const report = checkReportData(data, 'the report data');
  const figures: string[] = [];
  // One chart at a time: each view holds its whole scenegraph, and order keeps the output deterministic.
  for (const chart of reportCharts(report)) figures.push(figure(chart, await renderSvg(chart)));
  return page(report, figures);
}

/** Render `data` and atomically replace `path` with it (lib/io/atomic.ts). */
export async function writeReport(path: string, data: ReportData, options: WriteReportOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalid('path', 'a file path', path);
  const o = optionsObject('options', options) as WriteReportOptions;
  noUnknownKeys('options', o, ['signal']);
  const signal = o.signal === undefined ? undefined : abortSignal('options.signal', o.signal);
  await writeFileAtomic(path, await renderReport(data), signal ? { signal } : {});
}

async function renderSvg(chart: Chart): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(chart.spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function figure(chart: Chart, svg: string): string {
  return `<figure id="${escapeHtml(chart.id)}">\n${svg}\n<figcaption>${escapeHtml(chart.caption)}</figcaption>\n</figure>`;
}

function page(report: ReportData, figures: readonly string[]): string {
  const charts = figures.length ? `<section>\n<h2>Charts</h2>\n${figures.join('\n')}\n</section>\n` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="seqrec">
<title>${escapeHtml(report.title)}</title>
<style>${css}</style>
</head>
<body>
${header(report)}
<main>
${metricTable(report.table)}
${charts}</main>
</body>
</html>
`;
}

function header(report: ReportData): string {
  const date = escapeHtml(report.generatedAt);
  const facts = [...datasetFacts(report), ...modelFacts(report)].map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`);
  return [
    '<header>',
    `<h1>${escapeHtml(report.title)}</h1>`,
    `<p class="meta">Generated <time datetime="${date}">${shownDate(report.generatedAt)}</time>. Protocol: ${escapeHtml(report.protocol.replace(/\.$/, ''))}.</p>`,
    facts.length ? `<dl class="facts">${facts.join('')}</dl>` : '',
    report.model ? configDetails(report.model.config) : '',
    '</header>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** '2024-05-01T14:00:00+02:00' → '2024-05-01 12:00 UTC': one zone for every reader; a bare date stays as it is. */
function shownDate(iso: string): string {
  return iso.length === 10 ? iso : `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function datasetFacts({ dataset: d }: ReportData): [string, string][] {
  if (!d) return [];
  return [['Dataset', `${d.name}: ${formatNumber(d.users)} users, ${formatNumber(d.items)} items, ${formatNumber(d.interactions)} interactions`]];
}

function modelFacts({ model: m }: ReportData): [string, string][] {
  if (!m) return [];
  const facts: [string, string][] = [['Model', m.architecture]];
  if (m.parameters !== undefined) facts.push(['Parameters', formatNumber(m.parameters)]);
  if (m.trainSeconds !== undefined) facts.push(['Training time', duration(m.trainSeconds)]);
  return facts;
}

/** 2711.4 → '45 min 11 s'; under a minute, seconds to one decimal. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return `${h ? `${h} h ` : ''}${m} min ${s % 60} s`;
}

/** The resolved config in a closed <details>: complete for reproduction, out of the way for reading. */
function configDetails(config: Record<string, unknown>): string {
  const rows = Object.entries(config).map(
    ([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td><code>${escapeHtml(JSON.stringify(v) ?? String(v))}</code></td></tr>`,
  );
  if (rows.length === 0) return '';
  return `<details><summary>Model configuration</summary>\n<table class="config">\n${rows.join('\n')}\n</table>\n</details>`;
}

const columns: readonly [Scorer, string][] = [
  ['model', 'Model'],
  ['popularity', 'Most popular'],
  ['random', 'Random'],
];

function metricTable(table: readonly MetricRow[]): string {
  if (table.length === 0) return ''; // a report of simulations only
  const confidence = table.find((r) => r.ci)?.ci?.model.confidence;
  const intervals = confidence === undefined ? '' : ` Brackets: ${percent(confidence)} bootstrap confidence intervals over users.`;
  const note = `Best value per row in bold; ↑ higher is better, ↓ lower is better.${intervals}`;
  return [
    '<section>',
    '<h2>Metrics</h2>',
    '<table class="metrics">',
    `<thead><tr><th scope="col">Metric</th>${columns.map(([, label]) => `<th scope="col">${label}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${table.map(metricRow).join('\n')}\n</tbody>`,
    '</table>',
    `<p class="note">${escapeHtml(note)}</p>`,
    '</section>',
  ].join('\n');
}

function metricRow(row: MetricRow): string {
  const values = columns.map(([s]) => row.values[s]);
  const best = row.higherIsBetter ? Math.max(...values) : Math.min(...values);
  const arrow = row.higherIsBetter ? '<span class="dir" title="higher is better">↑</span>' : '<span class="dir" title="lower is better">↓</span>';
  const cells = columns.map(([s]) => {
    const value = escapeHtml(formatNumber(row.values[s]));
    const ci = row.ci ? `<span class="ci">[${escapeHtml(formatNumber(row.ci[s].lower))}, ${escapeHtml(formatNumber(row.ci[s].upper))}]</span>` : '';
    return row.values[s] === best ? `<td class="best"><strong>${value}</strong>${ci}</td>` : `<td>${value}${ci}</td>`;
  });
  return `<tr><th scope="row">${escapeHtml(row.name)} ${arrow}</th>${cells.join('')}</tr>`;
}

/** Escapes the five characters that can end text or an attribute value. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEntities[c]!);
}
const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const css = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; }
body { max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { margin: 0 0 .3rem; font-size: 1.7rem; }
h2 { margin-top: 2.2rem; font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.meta, .note, figcaption { color: #555; font-size: .92rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .8rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.metrics th, table.metrics td { padding: .35rem .8rem; border-bottom: 1px solid #e4e4e4; text-align: right; vertical-align: top; }
table.metrics th[scope="row"], table.metrics thead th:first-child { text-align: left; font-weight: 600; }
table.metrics td.best { background: #eef5ec; }
.ci { display: block; color: #666; font-size: .8rem; }
.dir { color: #888; font-weight: normal; }
table.config th, table.config td { padding: .1rem .8rem .1rem 0; text-align: left; font-weight: normal; }
figure { margin: 1.5rem 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
`;
