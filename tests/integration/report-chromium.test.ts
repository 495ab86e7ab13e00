/**
 * A written report opens in a real browser with no network: headless Chromium's DOM holds the title, every
 * metric and one <svg> per chart, and a screenshot comes out as a real PNG. Chromium is looked up as $CHROMIUM,
 * then `chromium`, then `chromium-browser` on PATH; without one the test is skipped, saying how to install it.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCharts } from '../../lib/report/charts.js';
import type { ReportData } from '../../lib/report/data.js';
import { writeReport } from '../../lib/report/render.js';

const run = promisify(execFile);

function findChromium(): string | undefined {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

const ci = (mean: number) => ({ mean, lower: mean * 0.95, upper: mean * 1.05, confidence: 0.95, resamples: 200 });

/** Charts: train loss, validation, hr@K, coverage, exposure, fairness by activity = 6. */
const data: ReportData = {
  title: 'Chromium check & <friends>',
  generatedAt: '2024-06-02T08:30:00Z',
  protocol: 'full ranking over 500 items, seen items excluded',
  dataset: { name: 'synthetic', users: 300, items: 500, interactions: 12_000 },
  model: { architecture: 'bert4rec', config: { d: 32, layers: 2 }, parameters: 41_000, trainSeconds: 12.5 },
  table: [
    {
      name: 'hr@5',
      higherIsBetter: true,
      values: { model: 0.21, popularity: 0.08, random: 0.01 },
      ci: { model: ci(0.21), popularity: ci(0.08), random: ci(0.01) },
    },
    {
      name: 'hr@10',
      higherIsBetter: true,
      values: { model: 0.33, popularity: 0.14, random: 0.02 },
      ci: { model: ci(0.33), popularity: ci(0.14), random: ci(0.02) },
    },
    { name: 'ndcg@10', higherIsBetter: true, values: { model: 0.17, popularity: 0.07, random: 0.009 } },
    { name: 'coverage@10', higherIsBetter: true, values: { model: 0.38, popularity: 0.02, random: 0.99 } },
  ],
  trainLoss: Array.from({ length: 80 }, (_, i) => ({ step: (i + 1) * 10, loss: 6 / Math.sqrt(i + 1) })),
  validation: { metric: 'ndcg@10', history: [1, 2, 3, 4].map((e) => ({ epoch: e, step: e * 200, value: 0.1 + 0.02 * e, trainLoss: 2 / e })), bestEpoch: 4 },
  exposure: Array.from({ length: 120 }, (_, i) => ({ item: `i${i}`, trainCount: Math.floor(900 / (i + 1)), recommended: Math.floor(300 / (i + 3)) })),
  fairness: [
    {
      attribute: 'activity',
      metric: 'ndcg@10',
      report: {
        groups: [
          { group: 'low', count: 100, mean: 0.12 },
          { group: 'high', count: 200, mean: 0.2 },
        ],
        gap: 0.08,
        ratio: 0.6,
      },
    },
  ],
};

const chromium = findChromium();

if (!chromium) {
  it.skip('renders the report in Chromium: no Chromium found; apt-get install chromium (or set CHROMIUM to its path)', () => {});
} else {
  describe(`report in headless Chromium (${chromium})`, () => {
    let dir = '';
    let url = '';
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'seqrec-report-chromium-'));
      const path = join(dir, 'report.html');
      await writeReport(path, data);
      url = pathToFileURL(path).href;
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Headless Chromium in a throwaway profile; stderr is left alone (it chatters about D-Bus). */
    const browse = (args: string[]) => {
      const profile = mkdtempSync(join(dir, 'profile-'));
      const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`];
      return run(chromium, [...flags, ...args, url], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    };

    it('shows the title, every metric and one <svg> per chart', async () => {
      const { stdout: dom } = await browse(['--dump-dom']);
      expect(dom).toContain('<title>Chromium check &amp; &lt;friends&gt;</title>');
      expect(dom).toContain('<h1>Chromium check &amp; &lt;friends&gt;</h1>');
      for (const row of data.table) expect(dom).toContain(`<th scope="row">${row.name} `);
      expect(reportCharts(data)).toHaveLength(6);
      expect(dom.split('<svg').length - 1).toBe(6);
      expect(dom).not.toMatch(/<script/i);
    });

    it('takes a screenshot of the page', async () => {
      const png = join(dir, 'page.png');
      await browse([`--screenshot=${png}`, '--window-size=1200,2400']);
      const bytes = readFileSync(png);
      expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // IHDR, the first chunk, holds the width and height the window was asked for.
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1200, 2400]);
      expect(statSync(png).size).toBeGreaterThan(20_000);
    });
  });
}
