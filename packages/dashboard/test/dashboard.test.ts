/**
 * `osfp ui` in a real browser (Debian's chromium, driven by playwright-core):
 * what a person sees of runs (live per-stage counts from Redis, then the
 * summary), datasets (manifest, class histogram, counts per stage, downloads
 * that return the version's bytes, diff) and evaluations (confusion matrix as
 * a heat map, per-class precision/recall, feature importance, the p0f
 * comparison), Bull Board over the queues, and proof that nothing the page
 * can do changes a dataset, a run or a queue. Screenshots are kept under
 * test-results/dashboard/ (or $OSFP_TEST_ARTIFACTS/dashboard/).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { QUEUES } from '@osfp/collector';
import { diffVersions, exportVersion, resolveVersion } from '@osfp/dataset';
import { CHROMIUM_PATH, needs, scratchDir } from '@osfp/test-support';
import { startDashboard, type Dashboard } from '../src/index.ts';
import {
  collect,
  evaluatedDataset,
  gatedLabelling,
  redisSnapshot,
  redisWrites,
  startTestRedis,
  targetsFile,
  treeDigest,
  type TestRedis,
} from './support/fixtures.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const artifacts = join(process.env['OSFP_TEST_ARTIFACTS'] ?? join(repoRoot, 'test-results'), 'dashboard');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(needs('redis-server', 'chromium'))('osfp ui in a real browser', () => {
  let dir: string;
  let dataDir: string;
  let redis: TestRedis;
  let dashboard: Dashboard;
  let browser: BrowserContext;
  let page: Page;
  /** Every request the page made that did not go to the dashboard: there must be none (closed network, no CDN). */
  const foreign: string[] = [];
  const runIds: string[] = [];

  beforeAll(async () => {
    dir = await scratchDir('osfp-ui-');
    dataDir = join(dir, 'data');
    redis = await startTestRedis();
    // Two complete runs of dataset "lab": v1, then v2 with some hosts gone and others new.
    const first = await collect(dataDir, redis.url, await targetsFile(dir, 'a.txt', ['198.18.20.0/28']));
    const second = await collect(
      dataDir,
      redis.url,
      await targetsFile(dir, 'b.txt', ['198.18.20.8/29', '198.18.21.0/29']),
    );
    runIds.push(first.runId, second.runId);
    await evaluatedDataset(dataDir);
    dashboard = await startDashboard({ dataDir, redis: redis.url, port: 0 });
    await mkdir(artifacts, { recursive: true });
    browser = await chromium.launchPersistentContext(await scratchDir('osfp-ui-chromium-'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await browser.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === `127.0.0.1:${dashboard.port}`) return route.continue();
      foreign.push(url.href);
      return route.abort();
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await redis?.stop();
  });

  const open = async (hash: string) => {
    // A fresh load each time (a goto to the very same address with a #hash is not a navigation).
    await page.goto('about:blank');
    await page.goto(`${dashboard.url}${hash}`);
    await page.waitForSelector(`main[data-page="${hash.replace(/^#/, '')}"]`);
  };
  const text = (selector: string) => page.locator(selector).innerText();

  it('lists the runs and shows a finished run from its summary', async () => {
    await open('#/runs');
    const table = await text('#runs');
    for (const id of runIds) expect(table).toContain(id);
    expect(await page.locator('#runs [data-status="complete"]').count()).toBe(2);

    await open(`#/runs/${runIds[0]}`);
    expect(await page.locator('#stage-table [data-stage="probe"]').getAttribute('data-count')).toBe('16');
    expect(await page.locator('#stage-table [data-stage="write"]').getAttribute('data-count')).toBe('8');
    const summary = await text('#summary');
    expect(summary).toMatch(/rows\s+8/);
    expect(summary).toContain('lab@1');
    await page.screenshot({ path: join(artifacts, 'run.png'), fullPage: true });
  });

  it('follows a run while it runs: per-stage counts from Redis before any batch is written', async () => {
    const targets = await targetsFile(dir, 'c.txt', ['198.18.22.0/28']);
    // Labelling waits for the test: the run stays with batches probed and none written, however slow the machine.
    const gated = gatedLabelling();
    const running = collect(dataDir, redis.url, targets, gated.stages);
    let runId: string | undefined;
    for (let i = 0; i < 300 && runId === undefined; i++) {
      runId = (await redis.client.keys('osfp:run:*:progress'))
        .map((k) => k.split(':')[2]!)
        .find((id) => !runIds.includes(id));
      if (runId === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(runId).toBeDefined();
    await open(`#/runs/${runId}`);
    // The page refreshes itself every second: probing shows while nothing is written yet.
    const count = (stage: string) =>
      `Number(document.querySelector('#stage-table [data-stage="${stage}"]')?.getAttribute('data-count') ?? -1)`;
    await page.waitForFunction(`${count('probe')} > 0`, undefined, { timeout: 60_000, polling: 100 });
    expect(await page.locator('#stage-table [data-stage="write"]').getAttribute('data-count')).toBe('0');
    expect(await page.locator('h1 [data-status]').getAttribute('data-status')).toBe('running');
    await page.screenshot({ path: join(artifacts, 'run-live.png'), fullPage: true });
    gated.open();
    const summary = await running;
    runIds.push(summary.runId);
    await page.waitForSelector('h1 [data-status="complete"]', { timeout: 60_000 });
    expect(await page.locator('#stage-table [data-stage="write"]').getAttribute('data-count')).toBe(
      String(summary.rows),
    );
  }, 180_000);

  it('shows a version: manifest, class histogram, counts per stage, and downloads with the right bytes', async () => {
    const v = await resolveVersion(dataDir, 'lab@2');
    await open('#/datasets/lab/v2');
    expect(await text('#rows')).toBe(String(v.manifest.rows));
    await page.waitForSelector('#histogram[data-chart="ready"] svg');
    const chartText = await page.locator('#histogram svg').textContent();
    for (const c of v.manifest.classHistogram) expect(chartText).toContain(c.label ?? '(no label)');
    expect(await page.locator('#histogram svg path').count()).toBeGreaterThanOrEqual(v.manifest.classHistogram.length);
    const counts = await text('#stage-counts');
    expect(counts).toMatch(new RegExp(`probed\\s+${v.manifest.counts['probed']}`));
    expect(counts).toMatch(new RegExp(`written\\s+${v.manifest.counts['written']}`));

    const parquetHref = await page.locator('#downloads a[data-format="parquet"]').getAttribute('href');
    const parquet = await page.request.get(new URL(parquetHref!, dashboard.url).href);
    expect(parquet.status()).toBe(200);
    expect(parquet.headers()['content-disposition']).toContain('lab-v2.parquet');
    expect(sha256(await parquet.body())).toBe(v.manifest.files['data.parquet']!.sha256);

    const csvHref = await page.locator('#downloads a[data-format="csv"]').getAttribute('href');
    const csv = await page.request.get(new URL(csvHref!, dashboard.url).href);
    expect(csv.status()).toBe(200);
    const exported = join(dir, 'lab-v2.csv');
    await exportVersion(dataDir, 'lab@2', { format: 'csv', out: exported });
    expect(sha256(await csv.body())).toBe(sha256(await readFile(exported)));
    // A click downloads the same file, as a person would get it.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#downloads a[data-format="parquet"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe('lab-v2.parquet');
    expect(sha256(await readFile((await download.path())!))).toBe(v.manifest.files['data.parquet']!.sha256);
    await page.screenshot({ path: join(artifacts, 'version.png'), fullPage: true });
  }, 30_000);

  it('diffs two versions', async () => {
    const d = await diffVersions(dataDir, 'lab@1', 'lab@2');
    await open('#/datasets/lab/v2');
    await page.locator('#compare').selectOption('1');
    await page.locator('#compare-link').click();
    await page.waitForSelector('main[data-page="/datasets/lab/diff/1/2"]');
    expect(await text('#diff-added')).toBe(String(d.added));
    expect(await text('#diff-removed')).toBe(String(d.removed));
    expect(await text('#diff-relabelled')).toBe(String(d.relabelled));
    expect(d.added + d.removed).toBeGreaterThan(0);
    await page.waitForSelector('#diff-histogram[data-chart="ready"] svg');
    await page.screenshot({ path: join(artifacts, 'diff.png'), fullPage: true });
  }, 30_000);

  it('draws the evaluation: confusion matrix heat map, per-class precision/recall, importance, p0f comparison, truth', async () => {
    const report = JSON.parse(
      await readFile(join((await resolveVersion(dataDir, 'personalities@1')).dir, 'evaluation', 'report.json'), 'utf8'),
    ) as {
      classes: { label: string }[];
      models: { name: string; figures: { confusion: { counts: number[][] } } }[];
    };
    const n = report.classes.length;
    expect(n).toBe(4);
    await open('#/datasets/personalities/v1');
    await page.waitForSelector('#confusion[data-chart="ready"] svg');
    // The heat map: one labelled cell per (class, prediction), holding the report's counts.
    const cells = await page
      .locator('#confusion svg text')
      .evaluateAll((nodes) => nodes.map((t) => t.textContent ?? '').filter((s) => /^\d+$/.test(s)));
    const forest = report.models.find((m) => m.name === 'random-forest')!;
    expect(cells.map(Number).sort((a, b) => a - b)).toEqual(
      forest.figures.confusion.counts.flat().sort((a, b) => a - b),
    );
    expect(await page.locator('#per-class tbody tr').count()).toBe(n);
    expect(await text('#per-class')).toMatch(/precision/);
    expect(await page.locator('#models tbody tr').count()).toBe(report.models.length);
    await page.waitForSelector('#importance[data-chart="ready"] svg');
    await page.waitForSelector('#precision-recall[data-chart="ready"] svg');
    const passive = await text('#passive');
    expect(passive).toMatch(/Matched/);
    expect(passive).toContain('Linux 3.x');
    // The truth tables: Nmap, each model, the p0f database; Nmap per true class.
    expect(await page.locator('#truth-summary tbody tr').count()).toBe(1 + report.models.length + 1);
    expect(await text('#truth-summary')).toMatch(/Nmap's label\s*\d+\s*\d+\.\d %/);
    expect(await text('#truth')).toMatch(
      /lab-truth\.csv: \d+ of \d+ rows have a truth .*; 1 rows are not in the truth file/,
    );
    expect(await page.locator('#truth-nmap-per-class tbody tr').count()).toBe(n + 1);
    expect(await text('#truth-nmap-per-class')).toContain('Linux 5.X');
    await page.screenshot({ path: join(artifacts, 'evaluation.png'), fullPage: true });
    expect((await stat(join(artifacts, 'evaluation.png'))).size).toBeGreaterThan(10_000);
  }, 30_000);

  it('shows the queues in Bull Board, read-only', async () => {
    await page.goto(`${dashboard.url}queues/`);
    await page.waitForSelector(`text=${QUEUES.probe}`, { timeout: 30_000 });
    expect(await page.content()).toContain(QUEUES.label);
    await page.getByText('Loading...').waitFor({ state: 'hidden', timeout: 15_000 });
    await page.screenshot({ path: join(artifacts, 'queues.png'), fullPage: true });
    const api = (await (await page.request.get(`${dashboard.url}queues/api/queues`)).json()) as {
      queues: { name: string; readOnlyMode: boolean }[];
    };
    expect(api.queues.length).toBeGreaterThanOrEqual(2);
    expect(api.queues.every((q) => q.readOnlyMode)).toBe(true);
    // Bull Board's own actions are refused, and the queue is left as it was.
    const pause = await page.request.put(`${dashboard.url}queues/api/queues/${QUEUES.probe}/pause`);
    expect(pause.status()).toBe(405);
    const queue = new Queue(QUEUES.probe, { connection: redis.client, skipMetasUpdate: true });
    expect(await queue.isPaused()).toBe(false);
    await queue.close();
  });

  it('changes nothing: every route refuses writes, and browsing leaves the data directory and Redis as they were', async () => {
    const files = await treeDigest(dataDir);
    const keys = await redisSnapshot(redis.client);
    for (const hash of [
      '#/runs',
      `#/runs/${runIds[0]}`,
      '#/datasets',
      '#/datasets/lab/v1',
      '#/datasets/lab/v2',
      '#/datasets/lab/diff/1/2',
      '#/datasets/personalities/v1',
    ])
      await open(hash);
    await page.goto(`${dashboard.url}queues/`);
    await page.waitForSelector(`text=${QUEUES.probe}`);
    for (const format of ['parquet', 'csv'])
      expect((await page.request.get(`${dashboard.url}download/lab/v1/data.${format}`)).status()).toBe(200);

    const sample: Record<string, string> = {
      ':id': runIds[0]!,
      ':name': 'lab',
      ':version': 'v1',
      ':a': '1',
      ':b': '2',
      ':file': 'data.csv',
      ':queueName': QUEUES.probe,
      ':jobId': 'x',
      ':queueStatus': 'failed',
      ':schedulerId': 'x',
    };
    const paths = new Set(
      dashboard.routes.map((r) => r.path.replace(/:[A-Za-z]+/g, (p) => sample[p] ?? 'x').replace(/\*$/, 'x')),
    );
    expect(paths.size).toBeGreaterThan(20);
    const attempts = [...paths].flatMap((path) =>
      ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((method) => ({ path, method })),
    );
    const refused = await Promise.all(
      attempts.map(async ({ path, method }) => {
        const response = await fetch(`${dashboard.url}${path.replace(/^\//, '')}`, {
          method,
          body: method === 'OPTIONS' ? null : '{}',
        });
        await response.arrayBuffer();
        return `${method} ${path} ${response.status}`;
      }),
    );
    expect(refused.filter((r) => !r.endsWith(' 405'))).toEqual([]);
    expect(await treeDigest(dataDir)).toEqual(files);
    expect(redisWrites(keys, await redisSnapshot(redis.client))).toEqual([]);
    expect(foreign).toEqual([]);
  }, 240_000);
});
