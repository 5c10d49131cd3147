import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { connectRedis } from './redis-connection.ts';

/** A private redis-server for one data directory: AOF every second, no eviction, 127.0.0.1 only. */
export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** True when an instance left running by a killed coordinator was adopted instead of started. */
  readonly adopted: boolean;
  stop(): Promise<void>;
}

interface Lease {
  readonly pid: number;
  readonly port: number;
}

/**
 * Starts (or adopts) the data directory's own Redis. Its files (AOF, a lease
 * naming pid and port) live in `<dataDir>/redis`, so a coordinator killed with
 * -9 leaves a Redis that the next `collect --resume` finds and reuses, queues
 * intact; and after a reboot the AOF restores them.
 */
export async function startEmbeddedRedis(dataDir: string): Promise<EmbeddedRedis> {
  const dir = resolve(dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const leaseFile = join(dir, 'lease.json');

  const lease = await readLease(leaseFile);
  if (lease && isAlive(lease.pid) && (await answersPing(lease.port))) {
    return {
      url: `redis://127.0.0.1:${lease.port}`,
      port: lease.port,
      pid: lease.pid,
      adopted: true,
      stop: () => stopPid(lease.pid, leaseFile),
    };
  }

  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--appenddirname',
      'appendonly',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    // Detached: the server outlives a coordinator killed with -9 (resume adopts it); a clean stop shuts it down.
    { stdio: 'ignore', detached: true },
  );
  const spawned = await new Promise<ChildProcess>((ok, fail) => {
    child.once('spawn', () => ok(child));
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? new Error('redis-server is not installed (apt-get install redis-server, or give --redis URL)')
          : error,
      ),
    );
  });
  spawned.unref();
  const pid = spawned.pid!;
  const deadline = Date.now() + 15_000;
  while (!(await answersPing(port))) {
    if (spawned.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the embedded redis-server did not start (see ${join(dir, 'redis.log')})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await writeFile(leaseFile, JSON.stringify({ pid, port } satisfies Lease));
  return { url: `redis://127.0.0.1:${port}`, port, pid, adopted: false, stop: () => stopPid(pid, leaseFile) };
}

/**
 * The URL of the data directory's embedded Redis while a coordinator runs it
 * (or left it running), without starting or adopting it: for readers such as
 * `osfp ui`. Null when there is none.
 */
export async function findEmbeddedRedis(dataDir: string): Promise<string | null> {
  const lease = await readLease(join(resolve(dataDir, 'redis'), 'lease.json'));
  return lease && isAlive(lease.pid) && (await answersPing(lease.port)) ? `redis://127.0.0.1:${lease.port}` : null;
}

async function readLease(file: string): Promise<Lease | null> {
  try {
    const lease = JSON.parse(await readFile(file, 'utf8')) as Partial<Lease>;
    return typeof lease.pid === 'number' && typeof lease.port === 'number'
      ? { pid: lease.pid, port: lease.port }
      : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answersPing(port: number): Promise<boolean> {
  const redis = connectRedis(`redis://127.0.0.1:${port}`, 'probe-ping', {
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
    connectTimeout: 500,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** SIGTERM makes redis-server fsync its AOF and exit; wait for it so the next start finds the files complete. */
async function stopPid(pid: number, leaseFile: string): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await rm(leaseFile, { force: true });
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}
