import type { NameResolver } from '../dns/name-resolver.ts';
import type { ExclusionPolicy } from '../exclusions/exclusion-policy.ts';
import { addressToNumber, type AddressNumber, type IpFamily } from '../targets/address.ts';
import { readTargetFile } from '../targets/target-file.ts';
import type { TargetIndex } from './target-index.ts';

/** What reading the targets file gave, stage by stage. */
export interface IngestCounts {
  lines: number;
  malformed: number;
  names: number;
  resolved: number;
  unresolved: number;
  /** Why names did not resolve: `no-address` (NXDOMAIN / no A or AAAA record of the families asked for), `timeout`, or the resolver's error code. */
  unresolvedByReason: Record<string, number>;
  addresses: number;
  excluded: number;
  excludedByReason: Record<string, number>;
}

export interface MalformedLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

export function emptyIngestCounts(): IngestCounts {
  return {
    lines: 0,
    malformed: 0,
    names: 0,
    resolved: 0,
    unresolved: 0,
    unresolvedByReason: {},
    addresses: 0,
    excluded: 0,
    excludedByReason: {},
  };
}

/**
 * Streams the targets file into the index: names resolved (A and/or AAAA
 * records, as --ip-version asks; bounded concurrency with back-pressure on
 * the file; a name with both gives one target per address), every address checked against
 * the exclusion policy before it can ever be batched. Excluded addresses are
 * counted and dropped here, so they never reach a queue, let alone a socket.
 */
export async function ingestTargets(options: {
  file: string;
  index: TargetIndex;
  resolver: NameResolver;
  policy: ExclusionPolicy;
  /** The families the run probes (--ip-version); addresses of another family are counted as excluded (`ip-version`). */
  families: ReadonlySet<IpFamily>;
  counts: IngestCounts;
  onMalformed: (line: MalformedLine) => void;
  signal?: AbortSignal;
}): Promise<IngestCounts> {
  const { index, resolver, policy, counts } = options;
  const admit = async (ip: AddressNumber, family: IpFamily, domain: string | null): Promise<void> => {
    const reason = options.families.has(family) ? policy.reasonFor(ip) : 'ip-version';
    if (reason !== null) {
      counts.excluded += 1;
      counts.excludedByReason[reason] = (counts.excludedByReason[reason] ?? 0) + 1;
      return;
    }
    counts.addresses += 1;
    await index.add(ip, domain);
  };
  // Appends happen from resolver callbacks too; a promise chain keeps them in order, one at a time.
  let appends: Promise<void> = Promise.resolve();
  const enqueueAppend = (work: () => Promise<void>): void => {
    appends = appends.then(work);
  };

  for await (const entry of readTargetFile(options.file)) {
    if (options.signal?.aborted) break;
    counts.lines = entry.line;
    switch (entry.kind) {
      case 'malformed':
        counts.malformed += 1;
        options.onMalformed(entry);
        break;
      case 'ip':
        enqueueAppend(() => admit(addressToNumber(entry.ip), entry.family, null));
        break;
      case 'cidr':
        enqueueAppend(async () => {
          for (let ip = entry.first; ip <= entry.last; ip += 1n) await admit(ip, entry.family, null);
        });
        break;
      case 'domain': {
        counts.names += 1;
        await resolver.whenBelow(1000);
        void resolver.resolve(entry.name).then((result) => {
          if (result.status !== 'resolved' || result.addresses.length === 0) {
            const reason =
              result.status === 'error' ? result.code : result.status === 'resolved' ? 'no-address' : result.status;
            counts.unresolved += 1;
            counts.unresolvedByReason[reason] = (counts.unresolvedByReason[reason] ?? 0) + 1;
            return;
          }
          counts.resolved += 1;
          enqueueAppend(async () => {
            for (const address of result.addresses) {
              await admit(addressToNumber(address), address.includes(':') ? 6 : 4, entry.name);
            }
          });
        });
        break;
      }
    }
  }
  await resolver.idle();
  await appends;
  return counts;
}
