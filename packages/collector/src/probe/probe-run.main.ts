/**
 * Runs one prober batch and prints the result as JSON: the entry that lab
 * tests start inside the scanner namespace (`ip netns exec NS node --import
 * tsx probe-run.main.ts`), since scanning code must run where only the lab is
 * reachable. Reads `{ targets, options }` as JSON on stdin; prints
 * `{ syn, outcomes, capture, resources }`, where `resources` counts open
 * sockets, timers and file descriptors before and after, for leak checks.
 */
import { readdirSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { createProber } from './prober.ts';
import type { ProberOptions, ProbeTarget } from './probe-types.ts';

interface RunRequest {
  targets: ProbeTarget[];
  options: Omit<ProberOptions, 'signal'>;
}

interface ResourceCount {
  sockets: number;
  timers: number;
  fds: number;
}

function countResources(): ResourceCount {
  const active = process.getActiveResourcesInfo();
  return {
    sockets: active.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP' || r === 'TLSWrap').length,
    timers: active.filter((r) => r === 'Timeout').length,
    fds: readdirSync('/proc/self/fd').length,
  };
}

const request = JSON.parse(await text(process.stdin)) as RunRequest;
const beforeProber = countResources();
const prober = await createProber(request.options);
// The archive file (if any) opens asynchronously: let it, so it is counted before and after alike.
await new Promise((resolve) => setTimeout(resolve, 50));
const beforeBatch = countResources();
const started = performance.now();
const outcomes = await prober.probeBatch(request.targets);
const elapsedMs = performance.now() - started;
// Sockets close asynchronously: give their close callbacks a turn.
await new Promise((resolve) => setTimeout(resolve, 50));
const afterBatch = countResources();
const capture = await prober.captureStats();
await prober.close();
await new Promise((resolve) => setTimeout(resolve, 50));
const afterClose = countResources();
process.stdout.write(
  `${JSON.stringify({ syn: prober.syn, outcomes, elapsedMs, capture, resources: { beforeProber, beforeBatch, afterBatch, afterClose } })}\n`,
);
