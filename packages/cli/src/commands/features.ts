import { Command, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { FEATURE_COLUMNS, featuresFromCapture, newStats, type CaptureFeatureRecord } from '@osfp/features';
import { CaptureError } from '@osfp/features';
import { isSupportedLinkType } from '@osfp/features';
import { UsageError } from '../usage-error.ts';

const FORMATS = ['jsonl', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** Output columns, in order: where the SYN-ACK went, its features, then the SYN it answered. */
export const FEATURES_OUTPUT_COLUMNS = [
  'ts',
  'src_ip',
  'src_port',
  'dst_ip',
  'dst_port',
  ...FEATURE_COLUMNS,
  'syn_olayout',
  'syn_mss',
] as const;

export function featuresCommand(): Command {
  return new Command('features')
    .description('Print one feature record per SYN-ACK found in a pcap or pcapng file')
    .argument(
      '<file>',
      'pcap or pcapng capture, IPv4 and IPv6 (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback, PPP, Cisco HDLC, NFLOG, 802.11/radiotap)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('jsonl'))
    .action(async (file: string, opts: { format: Format }) => {
      await printFeatures(file, opts.format, process.stdout, process.stderr);
    });
}

function flatten(
  record: CaptureFeatureRecord,
): Record<(typeof FEATURES_OUTPUT_COLUMNS)[number], string | number | boolean | null> {
  return {
    ts: record.ts.toISOString(),
    src_ip: record.src_ip,
    src_port: record.src_port,
    dst_ip: record.dst_ip,
    dst_port: record.dst_port,
    ...record.features,
    syn_olayout: record.syn?.olayout ?? null,
    syn_mss: record.syn?.mss ?? null,
  };
}

/** Writes with back-pressure; false once the reader went away (e.g. `| head`). */
async function writeOut(out: Writable, text: string): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return false;
  if (!out.write(text)) {
    await Promise.race([once(out, 'drain'), once(out, 'close')]).catch(() => undefined);
  }
  return !out.destroyed;
}

/** Streams the records of `file` to `out`; a summary and any problem go to `err`. */
export async function printFeatures(file: string, format: Format, out: Writable, err: Writable): Promise<void> {
  const stats = newStats();
  let first = true;
  let readerGone = false;
  let outputFailure: Error | null = null;
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    // A closed pipe only means nobody wants more records.
    if (error.code === 'EPIPE') readerGone = true;
    else outputFailure = error;
  };
  out.on('error', onOutputError);
  try {
    for await (const record of featuresFromCapture(file, stats)) {
      const row = flatten(record);
      const text =
        format === 'jsonl'
          ? `${JSON.stringify(row)}\n`
          : stringify([row], {
              header: first,
              columns: [...FEATURES_OUTPUT_COLUMNS],
              cast: { boolean: (value) => (value ? 'true' : 'false') },
            });
      first = false;
      const written = await writeOut(out, text);
      if (outputFailure) throw outputFailure;
      if (!written || readerGone) return;
    }
  } catch (error) {
    // Exit 1, not the usage code: records before a truncation were printed already; the file, not the command line, is at fault.
    if (error instanceof CaptureError) throw new UsageError(`features: ${error.message}`, 1);
    throw error;
  } finally {
    // After EPIPE the stream may report it again later: keep swallowing it.
    if (!readerGone) out.off('error', onOutputError);
  }
  if (format === 'csv' && first)
    await writeOut(out, stringify([], { header: true, columns: [...FEATURES_OUTPUT_COLUMNS] }));

  const unsupported = [...stats.linkTypes].filter((t) => !isSupportedLinkType(t));
  const list = (counts: Map<string, number>, separator: string) =>
    [...counts].map(([reason, n]) => `${n} ${reason}`).join(separator);
  const rejected = list(stats.rejected, '; ');
  const skipped = list(stats.skipped, ', ');
  const withoutSyn = list(stats.withoutSyn, ', ');
  err.write(
    `osfp features: ${file}: ${stats.packets} packets, ${stats.synAcks} SYN-ACKs (${stats.synAcksV4} IPv4, ` +
      `${stats.synAcksV6} IPv6; ${stats.withSyn} with their SYN)` +
      (rejected ? `, rejected: ${rejected}` : '') +
      (withoutSyn ? `; without their SYN: ${withoutSyn}` : '') +
      (skipped ? `; skipped: ${skipped}` : '') +
      '\n',
  );
  if (stats.packets > 0 && unsupported.length === stats.linkTypes.size) {
    throw new UsageError(
      `features: ${file}: link type ${unsupported.join(', ')} is not supported (use Ethernet, Linux cooked SLL/SLL2, raw IP, loopback, PPP, Cisco HDLC, NFLOG or 802.11)`,
      1,
    );
  }
}
