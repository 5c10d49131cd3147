/**
 * The coordinator's share of the `internet` benchmark's projection, run
 * inside the lab's scanner namespace: one `collect` run over COUNT lab names
 * (real DNS against the lab's server, real Redis, real store) whose probe
 * and label stages are stand-ins that answer at once (half the addresses
 * answer, each gets a label), so the process's CPU time is what the
 * coordinator spends per target: reading and indexing targets, resolving
 * them, queueing batches, joining and writing rows. The stand-in workers run
 * in this process too, so their BullMQ side counts here: the figure errs
 * high. Prints one JSON object on stdout.
 *
 *   echo '{"count":20000,"targets":"/tmp/x/t.csv","dir":"/tmp/x","dnsServer":"198.18.0.53"}' | node --import tsx coordinator-cpu-in-lab.main.ts
 */
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pino } from 'pino';
import { CollectOptionsSchema, collectRun } from '@osfp/collector';
import { fakeStageBodies } from '@osfp/collector/testing';

interface Request {
  count: number;
  targets: string;
  dir: string;
  dnsServer: string;
}

const request = JSON.parse(await text(process.stdin)) as Request;
const before = process.cpuUsage();
const started = performance.now();
const summary = await collectRun(
  CollectOptionsSchema.parse({
    targets: request.targets,
    dataDir: join(request.dir, 'data'),
    dnsServer: [request.dnsServer],
    dnsConcurrency: 256,
    allow: ['198.18.0.0/15'],
    label: 'all',
    progress: 'log',
    logInterval: '1h',
  }),
  { stages: fakeStageBodies(), logger: pino({ level: 'warn' }) },
);
const cpu = process.cpuUsage(before);
process.stdout.write(
  `${JSON.stringify({ count: request.count, hosts: summary.hosts, rows: summary.rows, cpuUs: cpu.user + cpu.system, seconds: (performance.now() - started) / 1000 })}\n`,
);
