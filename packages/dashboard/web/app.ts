/**
 * The dashboard page: a hash router over the JSON API. Runs refresh every
 * second while they run; everything else is drawn once per visit. Nothing
 * here can change anything: the server answers GET and HEAD only.
 */
import type { DatasetSummary, Overview, RunDetail, RunListItem, VersionDetail, VersionDiff } from '../src/api-types.ts';
import { barChart, disposeCharts } from './charts.ts';
import { badge, facts, fmt, getJson, h, link, table, type Child } from './dom.ts';
import { renderEvaluation, renderGeneric } from './report-view.ts';

const main = document.getElementById('main') as HTMLElement;
let refresh: number | null = null;
let generation = 0;

const runHref = (id: string) => `#/runs/${encodeURIComponent(id)}`;
const versionHref = (name: string, v: number) => `#/datasets/${encodeURIComponent(name)}/v${v}`;
const diffHref = (name: string, a: number, b: number) => `#/datasets/${encodeURIComponent(name)}/diff/${a}/${b}`;

function show(...children: Child[]): void {
  disposeCharts();
  main.replaceChildren(
    ...children
      .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => (typeof c === 'number' ? String(c) : c)),
  );
}

function showError(error: unknown): void {
  show(h('p', { class: 'error', id: 'error' }, error instanceof Error ? error.message : String(error)));
}

async function runsPage(): Promise<void> {
  const runs = await getJson<RunListItem[]>('/api/runs');
  show(
    h('h1', {}, 'Runs'),
    runs.length === 0
      ? h('p', { class: 'muted' }, 'No runs in this data directory or on this Redis yet: start one with pnpm collect.')
      : table(
          ['run', 'dataset', 'status', 'started', 'batches written', 'rows'],
          runs.map((r) => [
            link(runHref(r.runId), r.runId, { class: 'mono' }),
            r.dataset,
            badge(r.status),
            fmt.time(r.startedAt),
            r.batches === null ? '–' : `${fmt.int(r.written)} / ${fmt.int(r.batches)}`,
            fmt.int(r.rows),
          ]),
          { id: 'runs' },
        ),
  );
}

function stageTable(run: RunDetail): HTMLElement | null {
  const s = run.snapshot;
  if (!s) return null;
  const rows: [string, string, string, Child][] = [
    [
      'probe',
      `probed ${fmt.int(s.probed)} · responsive ${fmt.int(s.responsive)}`,
      'probes',
      s.stages.probe.countPerSec,
    ],
    ['label', `labelled ${fmt.int(s.labelled)}`, 'labels', s.stages.label.countPerSec],
    ['write', `rows written ${fmt.int(s.written)}`, 'rows', s.stages.write.countPerSec],
  ].map(([name, counts, unit, rate]) => [name as string, counts as string, unit as string, rate as number | null]);
  return table(
    ['stage', 'counts', 'batches done', 'rate'],
    rows.map(([name, counts, unit, rate]) => {
      const stage = s.stages[name as 'probe' | 'label' | 'write'];
      return [
        name,
        h('span', { 'data-stage': name, 'data-count': String(stage.count) }, counts),
        `${fmt.int(stage.batches)} / ${fmt.int(s.batches)}`,
        `${fmt.rate(rate as number | null)} ${unit}/s`,
      ];
    }),
    { id: 'stage-table' },
  );
}

async function runPage(id: string): Promise<void> {
  const run = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`);
  const s = run.snapshot;
  const summary = run.summary;
  const eta = s?.eta;
  show(
    h('h1', {}, 'Run ', h('span', { class: 'mono' }, run.runId), ' ', badge(run.status)),
    run.liveNote ? h('p', { class: 'muted' }, run.liveNote) : null,
    run.status === 'silent'
      ? h(
          'p',
          { class: 'error' },
          `The coordinator has not reported since ${new Date(run.updatedAt ?? 0).toLocaleString()}: it may have been killed; finish the run with pnpm collect --resume ${run.runId}.`,
        )
      : null,
    facts(
      [
        ['dataset', s?.dataset ?? summary?.dataset ?? '–'],
        ['started', fmt.time(run.startedAt)],
        ['ended', fmt.time(run.endedAt)],
        ['phase', s?.phase ?? '–'],
        ['elapsed', fmt.duration(s?.elapsedMs ?? summary?.elapsedMs)],
        [
          'hosts',
          s
            ? `${fmt.int(s.hosts)} addresses in ${fmt.int(s.batches)} batches, ${fmt.int(s.enqueued - s.joined)} in flight (probing ${s.probing}, labelling ${s.labelling})`
            : '–',
        ],
        [
          'ETA',
          eta
            ? eta.ms === null
              ? '?'
              : `${eta.lowerBound ? '≥ ' : ''}${fmt.duration(eta.ms)}${eta.stage ? ` (${eta.stage} is the slowest stage)` : ''}`
            : '–',
        ],
      ],
      { id: 'run-facts' },
    ),
    s ? h('h2', {}, 'Stages') : null,
    stageTable(run),
    s
      ? facts(
          [
            ['lines read', fmt.int(s.ingest.lines)],
            ['names', fmt.int(s.ingest.names)],
            ['resolved', fmt.int(s.ingest.resolved)],
            ['unresolved', fmt.int(s.ingest.unresolved)],
            ['excluded', fmt.int(s.ingest.excluded)],
            ['malformed', fmt.int(s.ingest.malformed)],
          ],
          { id: 'ingest' },
        )
      : null,
    h('h2', {}, 'Failures'),
    run.failures.length === 0
      ? h('p', { class: 'muted', id: 'failures' }, run.liveNote ? 'unknown without Redis' : 'none')
      : table(
          ['stage', 'batch', 'state', 'attempts', 'reason'],
          run.failures.map((f) => [f.queue, f.batch, f.state, f.attempts, f.reason]),
          { id: 'failures' },
        ),
    summary
      ? h(
          'section',
          { id: 'summary' },
          h('h2', {}, 'Summary'),
          facts([
            ['status', badge(summary.status)],
            ['rows', fmt.int(summary.rows)],
            [
              'batches',
              `${fmt.int(summary.batchesJoined)} written, ${fmt.int(summary.batchesFailed)} failed, of ${fmt.int(summary.batches)}`,
            ],
            [
              'probe',
              Object.entries(summary.probeStatus)
                .map(([k, v]) => `${k} ${fmt.int(v)}`)
                .join(', ') || '–',
            ],
            [
              'label',
              Object.entries(summary.labelStatus)
                .map(([k, v]) => `${k} ${fmt.int(v)}`)
                .join(', ') || '–',
            ],
            ['labels reused', fmt.int(summary.labelsReused)],
            ['classes', summary.classes.map((c) => `${c.label} ${fmt.int(c.count)}`).join(', ') || '–'],
            [
              'version',
              summary.version
                ? link(
                    versionHref(summary.version.dataset, summary.version.version),
                    `${summary.version.dataset}@${summary.version.version}`,
                  )
                : '–',
            ],
            ['error', summary.error ?? '–'],
          ]),
        )
      : null,
    run.options ? h('details', {}, h('summary', {}, 'Options'), renderGeneric(run.options)) : null,
  );
  if (run.status === 'running' || run.status === 'silent') schedule(() => runPage(id), 1000);
}

async function datasetsPage(): Promise<void> {
  const datasets = await getJson<DatasetSummary[]>('/api/datasets');
  show(
    h('h1', {}, 'Datasets'),
    datasets.length === 0
      ? h('p', { class: 'muted' }, 'No dataset versions in this data directory yet.')
      : table(
          ['dataset', 'versions', 'latest rows', 'latest created'],
          datasets.map((d) => {
            const latest = d.versions.at(-1);
            return [
              d.name,
              h(
                'span',
                {},
                ...d.versions.flatMap((v, i) => [
                  i > 0 ? ' ' : '',
                  link(versionHref(d.name, v.version), `v${v.version}`),
                ]),
              ),
              fmt.int(latest?.rows),
              fmt.time(latest?.createdAt),
            ];
          }),
          { id: 'datasets' },
        ),
  );
}

/** The manifest's stage counts in pipeline order first, then the rest. */
const STAGE_ORDER = ['targets_read', 'names', 'resolved', 'excluded', 'addresses', 'probed', 'responsive', 'written'];

async function versionPage(name: string, version: number): Promise<void> {
  const detail = await getJson<VersionDetail>(`/api/datasets/${encodeURIComponent(name)}/v${version}`);
  const m = detail.manifest;
  const hist = m.classHistogram.map((c) => ({ label: c.label ?? '(no label)', count: c.count }));
  const counts = Object.entries(m.counts).sort(
    ([a], [b]) => (STAGE_ORDER.indexOf(a) + 1 || 99) - (STAGE_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  const funnel = counts.filter(([k]) => STAGE_ORDER.includes(k));
  const others = detail.versions.filter((v) => v !== m.version);
  const compare = h('select', { id: 'compare' }, ...others.map((v) => h('option', { value: String(v) }, `v${v}`)));
  const go = h(
    'a',
    { id: 'compare-link', href: others.length > 0 ? diffHref(name, others.at(-1)!, m.version) : '#' },
    'compare',
  );
  compare.value = String(others.at(-1) ?? '');
  compare.addEventListener('change', () => (go.href = diffHref(name, Number(compare.value), m.version)));

  show(
    h('h1', {}, `${m.dataset}@${m.version}`),
    facts(
      [
        ['rows', h('span', { id: 'rows' }, fmt.int(m.rows))],
        ['created', fmt.time(m.createdAt)],
        ['parent', m.parent === null ? '–' : link(versionHref(name, m.parent), `v${m.parent}`)],
        [
          'derived from',
          m.derivedFrom ? `${m.derivedFrom.operation} of ${m.derivedFrom.dataset}@${m.derivedFrom.version}` : '–',
        ],
        ['content sha256', h('code', {}, m.contentSha256)],
        ['tool', m.provenance.toolVersion],
        ['Nmap', m.provenance.nmapVersion ?? '–'],
        ['nmap-os-db sha256', m.provenance.nmapOsDbSha256 ? h('code', {}, m.provenance.nmapOsDbSha256) : '–'],
        ['taxonomy', m.provenance.taxonomyVersion ?? '–'],
        ['feature schema', String(m.schema.featureSchemaVersion)],
        [
          'runs',
          h(
            'span',
            {},
            ...m.runs.flatMap((r, i) => [i > 0 ? ', ' : '', link(runHref(r.runId), r.runId, { class: 'mono' })]),
          ),
        ],
      ],
      { id: 'manifest' },
    ),
    h('h2', {}, 'Download'),
    h(
      'p',
      { class: 'downloads', id: 'downloads' },
      ...detail.downloads.map((d) =>
        h(
          'span',
          {},
          link(d.href, d.format === 'parquet' ? 'Parquet' : 'CSV', { 'data-format': d.format, download: '' }),
          h(
            'span',
            { class: 'muted' },
            ` ${fmt.bytes(d.bytes)}${d.sha256 ? `, sha256 ${d.sha256.slice(0, 12)}…` : ''} `,
          ),
        ),
      ),
    ),
    h('h2', {}, 'Class histogram'),
    hist.length === 0
      ? h('p', { class: 'muted' }, 'No labelled rows.')
      : barChart(
          'histogram',
          hist.map((c) => c.label),
          [{ name: 'rows', values: hist.map((c) => c.count) }],
        ),
    table(
      ['class', 'rows'],
      hist.map((c) => [c.label, c.count]),
      { id: 'histogram-table' },
    ),
    h('h2', {}, 'Counts per stage'),
    funnel.length > 1
      ? barChart(
          'stage-funnel',
          funnel.map(([k]) => k),
          [{ name: 'count', values: funnel.map(([, v]) => v) }],
        )
      : null,
    table(
      ['stage', 'count'],
      counts.map(([k, v]) => [k, v]),
      { id: 'stage-counts' },
    ),
    h('h2', {}, 'Compare with another version'),
    others.length === 0 ? h('p', { class: 'muted' }, 'This is the only version.') : h('p', {}, compare, ' ', go),
    detail.evaluation
      ? renderEvaluation(detail.evaluation)
      : h(
          'section',
          { id: 'evaluation' },
          h('h2', {}, 'Evaluation'),
          h('p', { class: 'muted' }, `Not evaluated yet: pnpm osfp dataset evaluate ${name}@${m.version}`),
        ),
    h(
      'details',
      {},
      h('summary', {}, 'Schema'),
      table(
        ['column', 'type', 'nullable'],
        m.schema.columns.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no']),
      ),
    ),
  );
}

async function diffPage(name: string, a: number, b: number): Promise<void> {
  const d = await getJson<VersionDiff>(`/api/datasets/${encodeURIComponent(name)}/diff/${a}/${b}`);
  const labels = d.histogram.map((x) => x.label ?? '(no label)');
  show(
    h('h1', {}, `${d.a.ref} → ${d.b.ref}`),
    facts(
      [
        ['rows', `${fmt.int(d.a.rows)} → ${fmt.int(d.b.rows)}`],
        ['added', h('span', { id: 'diff-added' }, fmt.int(d.added))],
        ['removed', h('span', { id: 'diff-removed' }, fmt.int(d.removed))],
        ['relabelled', h('span', { id: 'diff-relabelled' }, fmt.int(d.relabelled))],
        ['unchanged', h('span', { id: 'diff-unchanged' }, fmt.int(d.unchanged))],
      ],
      { id: 'diff-counts' },
    ),
    h('p', { class: 'muted' }, 'Rows are keyed by ip and port; relabelled: same key, another label.'),
    h('h2', {}, 'Class histogram change'),
    barChart('diff-histogram', labels, [
      { name: d.a.ref, values: d.histogram.map((x) => x.a) },
      { name: d.b.ref, values: d.histogram.map((x) => x.b) },
    ]),
    table(
      ['class', d.a.ref, d.b.ref, 'change'],
      d.histogram.map((x, i) => [labels[i], x.a, x.b, x.delta > 0 ? `+${x.delta}` : x.delta]),
      { id: 'diff-histogram-table' },
    ),
    h('h2', {}, 'Relabelled rows (sample)'),
    d.relabelledSample.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : table(
          ['ip', 'port', 'from', 'to'],
          d.relabelledSample.map((r) => [r.ip, r.port, r.from ?? '–', r.to ?? '–']),
        ),
    h('p', {}, link(versionHref(name, a), `${d.a.ref}`), ' · ', link(versionHref(name, b), `${d.b.ref}`)),
  );
}

function schedule(task: () => Promise<void>, ms: number): void {
  const mine = generation;
  refresh = window.setTimeout(() => {
    if (mine === generation) task().catch(showError);
  }, ms);
}

async function route(): Promise<void> {
  generation++;
  if (refresh !== null) window.clearTimeout(refresh);
  refresh = null;
  const path = location.hash.replace(/^#/, '') || '/runs';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a[data-nav]'))
    a.classList.toggle('active', a.dataset['nav'] === parts[0]);
  try {
    if (parts[0] === 'runs' && parts[1]) await runPage(parts[1]);
    else if (parts[0] === 'datasets' && parts[1] && parts[2] === 'diff')
      await diffPage(parts[1], Number(parts[3]), Number(parts[4]));
    else if (parts[0] === 'datasets' && parts[1] && parts[2])
      await versionPage(parts[1], Number(parts[2].replace(/^v/, '')));
    else if (parts[0] === 'datasets') await datasetsPage();
    else await runsPage();
  } catch (error) {
    showError(error);
  }
  main.setAttribute('data-page', path);
}

async function status(): Promise<void> {
  const o = await getJson<Overview>('/api/overview');
  const el = document.getElementById('status')!;
  el.textContent = `${o.dataDir} · Redis ${o.redis.url === null ? 'none' : `${o.redis.url} (${o.redis.connected ? 'connected' : 'unreachable'})`} · read-only`;
}

window.addEventListener('hashchange', () => void route());
void route();
void status().catch(() => {});
window.setInterval(() => void status().catch(() => {}), 5000);
