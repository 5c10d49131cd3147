/**
 * The in-lab half of the `pipeline-memory` benchmark: one `collect` run over
 * a file of lab names (Tranco format), every host probed on `ports`
 * (labelling off), in-process, inside the lab's scanner namespace, sampling
 * Redis used_memory and this process's RSS throughout. Prints one JSON
 * object on stdout. One size per process, so each peak is its own.
 *
 *   echo '{"count":100000,"targets":"/tmp/x/t.csv","dir":"/tmp/x","dnsServer":"198.18.0.53","ports":[80,8001]}' | node --import tsx pipeline-memory-in-lab.main.ts
 */
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pino } from 'pino';
import { CollectOptionsSchema } from '@osfp/collector';
import { collectRun } from '@osfp/collector';
import { realStageBodies } from '@osfp/collector';

interface Request {
  /** Rows asked for (names the data directory). */
  count: number;
  /** Written by the parent: building a 1M-line file here would inflate the very RSS being measured. */
  targets: string;
  dir: string;
  dnsServer: string;
  ports: number[];
}

const request = JSON.parse(await text(process.stdin)) as Request;
const targets = request.targets;

let peakRedis = 0;
let peakRss = 0;
/** Peak RSS until the last batch was written: the pipeline itself, before the store builds the version. */
let peakRssCollecting = 0;
let collecting = true;
let peakHeapUsed = 0;
let peakExternal = 0;
let joined = 0;
let batches = Number.POSITIVE_INFINITY;
const started = performance.now();
const summary = await collectRun(
  CollectOptionsSchema.parse({
    targets,
    dataDir: join(request.dir, `data-${request.count}`),
    dnsServer: [request.dnsServer],
    dnsConcurrency: 256,
    allow: ['198.18.0.0/15'],
    label: 'none',
    ports: request.ports,
    timeout: '3s',
    batchSize: 256,
    concurrency: 512,
    progress: 'log',
    logInterval: '1h',
  }),
  {
    stages: realStageBodies(),
    onIndexed: (counts: { batches: number }) => {
      batches = counts.batches;
    },
    logger: pino({ level: 'warn' }),
    onSample: (s) => {
      peakRedis = Math.max(peakRedis, s.redisUsedMemory);
      peakRss = Math.max(peakRss, s.rss);
      if (collecting) {
        peakRssCollecting = Math.max(peakRssCollecting, s.rss);
        const memory = process.memoryUsage();
        peakHeapUsed = Math.max(peakHeapUsed, memory.heapUsed);
        peakExternal = Math.max(peakExternal, memory.external);
      }
    },
    onJoined: () => {
      joined += 1;
      if (joined === batches) collecting = false;
    },
  },
);
// The kernel's high-water mark catches what 500 ms samples can miss (the version build's sort lasts about a second).
peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
process.stdout.write(
  `${JSON.stringify({ count: request.count, hosts: summary.hosts, rows: summary.rows, names: summary.ingest.names, peakRedis, peakRss, peakRssCollecting, peakHeapUsed, peakExternal, seconds: (performance.now() - started) / 1000 })}\n`,
);
