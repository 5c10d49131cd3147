/**
 * The prober: HTTP exchanges at a bounded concurrency, each handed its own
 * SYN-ACK by the sniffer (libpcap read in this process), turned into features
 * by the shared extractor, optionally archived to pcap.
 */
import ipaddr from 'ipaddr.js';
import type { SynAckFeatures, SynFeatures } from '@osfp/dataset';
import { extractSynAck } from '@osfp/features';
import { createPcapWriter, type PcapWriter } from '@osfp/features';
import { startSniffer, type CapturedSynAck } from '../sniffer/index.ts';
import { HttpExchange, type ExchangeOptions } from './http-exchange.ts';
import { learnOwnSyn, type OwnSyn } from './own-syn.ts';
import type { Prober, ProberOptions, ProbeOutcome, ProbeTarget } from './probe-types.ts';
import { reconstructSyn } from './syn-reconstruction.ts';

const DEFAULT_BODY_CAP = 16 * 1024;

export async function createProber(options: ProberOptions): Promise<Prober> {
  if (!(options.timeoutMs > 0)) throw new RangeError(`prober timeoutMs must be > 0, got ${options.timeoutMs}`);
  if (!(Number.isInteger(options.concurrency) && options.concurrency > 0)) {
    throw new RangeError(`prober concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const sniffer = await startSniffer({
    ...(options.captureMethod !== undefined && { method: options.captureMethod }),
    ...(options.captureBufferBytes !== undefined && { receiveBufferBytes: options.captureBufferBytes }),
    // A SYN-ACK waits for its claim until the exchange is over: keep it well past the deadline.
    unclaimedTtlMs: Math.max(30_000, 2 * options.timeoutMs + 5_000),
  });
  let ownSyn: OwnSyn;
  try {
    ownSyn = await learnOwnSyn(sniffer, options.routeTowards);
  } catch (error) {
    await sniffer.close();
    throw error;
  }
  const archive = options.archivePcap ? createPcapWriter(options.archivePcap) : null;
  const synContext = { mss: ownSyn.features.syn_mss, olayout: ownSyn.features.syn_olayout };
  const exchangeOptions: ExchangeOptions = {
    timeoutMs: options.timeoutMs,
    userAgent: options.userAgent,
    bodyCapBytes: options.bodyCapBytes ?? DEFAULT_BODY_CAP,
  };
  let closed = false;

  /** Runs one exchange; `inFlight` holds it while it runs, so that one abort listener per batch can end it. */
  async function probeOne(target: ProbeTarget, inFlight: Set<HttpExchange>): Promise<ProbeOutcome> {
    const probedAt = new Date();
    const running = new HttpExchange(target, exchangeOptions);
    inFlight.add(running);
    const exchange = await running.done;
    inFlight.delete(running);
    // Claimed after the exchange, not at connect: by then the capture
    // has almost always delivered the SYN-ACK, so the claim needs no sync.
    const captured: CapturedSynAck | null =
      exchange.connectedAt !== null && exchange.localPort !== null
        ? await sniffer.claim(canonicalIp(target.ip), target.port, exchange.localPort, exchange.connectStartedAt)
        : null;
    let synack: SynAckFeatures | null = null;
    let syn: SynFeatures = ownSyn.features;
    if (captured?.columns) {
      // Paired with its SYN and extracted by the sniffer as it was delivered.
      ({ synack, syn } = captured.columns);
    } else if (captured) {
      // Unpaired (the raw socket sees no SYNs), or its SYN did not parse (the
      // sniffer pairs every SYN that does): against the SYN learned at start-up.
      const extracted = extractSynAck(captured.packet, synContext);
      if (extracted.ok) synack = extracted.features;
    }
    if (captured && archive) archiveHandshake(archive, ownSyn, captured, exchange.connectStartedAt);
    return {
      ip: target.ip,
      port: target.port,
      hostname: target.hostname ?? null,
      probed_at: probedAt,
      probe_status: exchange.status,
      http_status: exchange.httpStatus,
      http_server: exchange.httpServer,
      rtt_ms: captured
        ? roundTrip(captured.syn?.sentAt ?? exchange.connectStartedAt, captured.receivedAt, exchange.connectedAt)
        : null,
      synack_count: captured ? captured.count : null,
      syn_retransmitted: captured?.syn ? captured.syn.sends > 1 : null,
      synack,
      syn,
    };
  }

  return {
    syn: ownSyn.features,
    async probeBatch(targets, signal) {
      if (closed) throw new Error('prober is closed');
      if (sniffer.failure) throw sniffer.failure;
      const signals = [options.signal, signal].filter((s): s is AbortSignal => s !== undefined);
      const abort = signals.length > 0 ? AbortSignal.any(signals) : undefined;
      abort?.throwIfAborted();
      // One listener ends every exchange in flight: one per exchange would
      // cost each probe a walk of hundreds of listeners (EventTarget checks
      // every new listener against those it has).
      const inFlight = new Set<HttpExchange>();
      const onAbort = () => {
        for (const exchange of inFlight) exchange.abort();
      };
      abort?.addEventListener('abort', onAbort, { once: true });
      const outcomes = new Array<ProbeOutcome>(targets.length);
      let next = 0;
      // A fixed pool of loops, each taking the next target: the concurrency
      // bound with no per-target queue bookkeeping.
      const lane = async () => {
        while (next < targets.length && !abort?.aborted && !closed) {
          const index = next++;
          outcomes[index] = await probeOne(targets[index]!, inFlight);
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(options.concurrency, targets.length) }, lane));
      } finally {
        abort?.removeEventListener('abort', onAbort);
      }
      abort?.throwIfAborted();
      if (closed) throw new Error('prober closed during a batch');
      // Without its capture every outcome would lack its SYN-ACK: fail
      // the batch (it is retried) rather than report responsive hosts as silent.
      if (sniffer.failure) throw sniffer.failure;
      return outcomes;
    },
    captureStats: () => sniffer.stats(),
    async close() {
      if (closed) return;
      closed = true;
      await sniffer.close();
      await archive?.close();
    },
  };
}

/**
 * SYN to SYN-ACK time. Both the capture's timestamp and our own
 * 'connect' event come after the SYN-ACK's real arrival (each can lag under
 * load), so the earlier of the two is the better bound.
 */
function roundTrip(sentAt: number, capturedAt: number, connectedAt: number | null): number {
  const arrival = connectedAt === null ? capturedAt : Math.min(capturedAt, connectedAt);
  return Math.max(0, Math.round((arrival - sentAt) * 1000) / 1000);
}

function archiveHandshake(archive: PcapWriter, ownSyn: OwnSyn, captured: CapturedSynAck, sentAt: number): void {
  if (captured.syn) {
    archive.write(captured.syn.sentAt, captured.syn.packet);
  } else {
    const syn = reconstructSyn(ownSyn.template, captured.packet, ownSyn.features.syn_mss);
    if (syn) archive.write(sentAt, syn);
  }
  archive.write(captured.receivedAt, captured.packet);
}

/** The text the sniffer keys SYN-ACKs by: IPv6 in RFC 5952 form (ipaddr.js prints that), IPv4 as given. */
function canonicalIp(ip: string): string {
  return ip.includes(':') ? ipaddr.parse(ip).toString() : ip;
}
