import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { isUserFixable, messageOf, validateDatasetName } from '@osfp/dataset';
import { accessGuard, checkBinding, DashboardInputError } from './access.ts';
import type { Overview } from './api-types.ts';
import { DatasetsSource, type DownloadFormat } from './datasets-source.ts';
import { mountQueueBoard } from './queue-board.ts';
import { RedisSource } from './redis-source.ts';
import { RunsSource } from './runs-source.ts';
import { loadAssets } from './web-assets.ts';

export interface DashboardOptions {
  readonly dataDir: string;
  /** The Redis to read; default: the data directory's embedded one while a coordinator runs it. */
  readonly redis?: string | undefined;
  /** Default 127.0.0.1; another address only with `token`. */
  readonly host?: string | undefined;
  /** Default 8420; 0 picks a free port. */
  readonly port?: number | undefined;
  readonly token?: string | undefined;
}

export interface Dashboard {
  /** Where it serves, e.g. http://127.0.0.1:8420/ (without the token). */
  readonly url: string;
  readonly port: number;
  /** Every route served, for diagnostics and for the test that proves none of them mutates. */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8420;

/** `/v3` or `/3` in a route: a version number, or a user-fixable error. */
function versionParam(text: string): number {
  const m = /^v?([1-9][0-9]{0,8})$/.exec(text);
  if (!m) throw new DashboardInputError(`"${text}" is not a version number`);
  return Number(m[1]);
}

async function checkDataDir(dataDir: string): Promise<void> {
  const info = await stat(dataDir).catch((error: NodeJS.ErrnoException) => {
    throw new DashboardInputError(
      error.code === 'ENOENT'
        ? `--data-dir ${dataDir} does not exist (run osfp collect first, or name the data directory it used)`
        : `--data-dir ${dataDir} cannot be read: ${messageOf(error)}`,
    );
  });
  if (!info.isDirectory()) throw new DashboardInputError(`--data-dir ${dataDir} is not a directory`);
  await access(dataDir, constants.R_OK | constants.X_OK).catch(() => {
    throw new DashboardInputError(`--data-dir ${dataDir} cannot be read by this user (permission denied)`);
  });
}

/**
 * Serves the read-only dashboard: Bull Board over the queues, and the
 * runs, datasets, versions and evaluations of one data directory, as a JSON
 * API and the page that draws it.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  checkBinding(host, options.token);
  const dataDir = resolve(options.dataDir);
  await checkDataDir(dataDir);
  const assets = await loadAssets();
  const redis = new RedisSource(options.redis, dataDir);
  await redis.start();
  const runs = new RunsSource(dataDir, redis);
  const datasets = new DatasetsSource(dataDir);

  let port = options.port ?? DEFAULT_PORT;
  // Not strict: /queues and /queues/ are the same page (Bull Board's base is /queues/).
  const app = new Hono({ strict: false });
  app.use('*', accessGuard({ token: options.token, port: () => port }));
  app.onError((error, c) => {
    const status = isUserFixable(error) ? (/^unknown |has no version/.test(error.message) ? 404 : 400) : 500;
    return c.json({ error: messageOf(error) }, status);
  });

  const overview = (): Overview => ({ dataDir, redis: redis.status(), readOnly: true });
  app.get('/api/overview', (c) => c.json(overview()));
  app.get('/api/runs', async (c) => c.json(await runs.list()));
  app.get('/api/runs/:id', async (c) => {
    const detail = await runs.detail(c.req.param('id'));
    return detail === null ? c.json({ error: `no run ${c.req.param('id')} here` }, 404) : c.json(detail);
  });
  app.get('/api/datasets', async (c) => c.json(await datasets.list()));
  app.get('/api/datasets/:name/:version', async (c) =>
    c.json(await datasets.version(c.req.param('name'), versionParam(c.req.param('version')))),
  );
  app.get('/api/datasets/:name/diff/:a/:b', async (c) =>
    c.json(await datasets.diff(c.req.param('name'), versionParam(c.req.param('a')), versionParam(c.req.param('b')))),
  );
  app.get('/download/:name/:version/:file', async (c: Context) => {
    const file = c.req.param('file');
    const format: DownloadFormat | null = file === 'data.parquet' ? 'parquet' : file === 'data.csv' ? 'csv' : null;
    if (format === null) return c.json({ error: `no file ${file}: data.parquet or data.csv` }, 404);
    const name = validateDatasetName(c.req.param('name') ?? '');
    const download = await datasets.download(name, versionParam(c.req.param('version') ?? ''), format);
    return new Response(c.req.method === 'HEAD' ? null : download.body, {
      headers: {
        'content-type': download.contentType,
        'content-length': String(download.bytes),
        'content-disposition': `attachment; filename="${download.fileName}"`,
      },
    });
  });
  const board = mountQueueBoard(app, redis);
  for (const [path, asset] of assets) {
    app.get(path, (c) => c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'content-type': asset.contentType }));
  }

  const server = await new Promise<ServerType>((ok, fail) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => ok(s));
    s.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? new DashboardInputError(`port ${port} on ${host} is in use: give another --port (0 picks a free one)`)
          : error.code === 'EADDRNOTAVAIL'
            ? new DashboardInputError(`--host ${host} is not an address of this machine`)
            : error,
      ),
    );
  }).catch(async (error: unknown) => {
    await board.close();
    await redis.close();
    throw error;
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    routes: app.routes.map((r) => ({ method: r.method, path: r.path })),
    async close() {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      // A browser keeps connections open; close them rather than wait for it.
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await board.close();
      await redis.close();
    },
  };
}
