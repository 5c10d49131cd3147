import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { Queue } from 'bullmq';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import type { Hono, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { QUEUES } from '@osfp/collector';
import type { RedisSource } from './redis-source.ts';

export const QUEUES_PATH = '/queues';

/** How often new runs' join queues are looked for. */
const REFRESH_MS = 5000;

const require = createRequire(createRequire(import.meta.url).resolve('@bull-board/hono'));

const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const withoutRemoteFonts: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
  const html = (await c.res.text()).replace(/<link[^>]+https:\/\/fonts\.(googleapis|gstatic)\.com[^>]*>/g, '');
  c.res = new Response(html, { status: c.res.status, headers: c.res.headers });
};

/** Names of osfp's queues on this Redis: the shared probe and label queues and every run's join queue. */
async function queueNames(redis: Redis): Promise<string[]> {
  const names = new Set<string>([QUEUES.probe, QUEUES.label]);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'bull:osfp-*:meta', 'COUNT', 500);
    cursor = next;
    for (const key of keys) names.add(key.slice('bull:'.length, -':meta'.length));
  } while (cursor !== '0');
  return [...names].sort();
}

/**
 * Bull Board over osfp's queues, every one in read-only mode (no retry,
 * clean, pause or add), on whichever Redis the source currently gives. The
 * queue handles never write to Redis (skipMetasUpdate), so merely looking
 * leaves Redis as it was.
 */
export function mountQueueBoard(app: Hono, source: RedisSource): { close(): Promise<void> } {
  // Bull Board's own files, served here: the adapter's static handler cannot reach a pnpm store (a dot directory).
  const uiStatic = join(dirname(require.resolve('@bull-board/ui/package.json')), 'dist', 'static');
  app.get(`${QUEUES_PATH}/static/*`, async (c) => {
    const file = normalize(join(uiStatic, c.req.path.slice(`${QUEUES_PATH}/static/`.length)));
    if (!file.startsWith(`${uiStatic}/`)) return c.notFound();
    const body = await readFile(file).catch(() => null);
    if (body === null) return c.notFound();
    return c.body(body, 200, { 'content-type': STATIC_TYPES[extname(file)] ?? 'application/octet-stream' });
  });
  // The closed network: Bull Board's page must not ask Google for its fonts (the system's fonts do).
  app.use(QUEUES_PATH, withoutRemoteFonts);
  app.use(`${QUEUES_PATH}/queue/*`, withoutRemoteFonts);

  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(QUEUES_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'osfp queues', hideRedisDetails: false } },
  });
  app.route(QUEUES_PATH, serverAdapter.registerPlugin());

  let open = new Map<string, Queue>();
  let refreshing = false;
  const refresh = async (): Promise<void> => {
    if (refreshing) return;
    refreshing = true;
    try {
      const redis = source.current();
      const names = redis === null || redis.status !== 'ready' ? [] : await queueNames(redis);
      const next = new Map<string, Queue>();
      for (const name of names) {
        const known = open.get(name);
        next.set(name, known ?? new Queue(name, { connection: redis!, skipMetasUpdate: true, skipVersionCheck: true }));
      }
      const gone = [...open].filter(([name, queue]) => next.get(name) !== queue).map(([, q]) => q);
      open = next;
      board.replaceQueues([...next.values()].map((q) => new BullMQAdapter(q, { readOnlyMode: true })));
      await Promise.all(gone.map((q) => q.close().catch(() => {})));
    } catch {
      // Redis went away mid-scan: the next round tries again.
    } finally {
      refreshing = false;
    }
  };
  source.onChange(() => {
    // A new connection: every handle belongs to the old one.
    const old = [...open.values()];
    open = new Map();
    board.replaceQueues([]);
    void Promise.all(old.map((q) => q.close().catch(() => {}))).then(refresh);
  });
  void refresh();
  const timer = setInterval(() => void refresh(), REFRESH_MS);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await Promise.all([...open.values()].map((q) => q.close().catch(() => {})));
    },
  };
}
