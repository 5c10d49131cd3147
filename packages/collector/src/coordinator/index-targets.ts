import type { Logger } from 'pino';
import { NameResolver } from '../dns/name-resolver.ts';
import { ExclusionPolicy, readExcludeFile } from '../exclusions/exclusion-policy.ts';
import { runKeys } from '../queue/queue-names.ts';
import type { RunState } from './run-state.ts';
import { ingestTargets } from './target-ingest.ts';
import { familiesOf } from '../targets/address.ts';

/**
 * Reads the targets file into the run's index once (resolving names, applying
 * exclusions), then seals it into batches. A resumed run whose index is sealed
 * only restores the counts. Returns false when a shutdown signal came while
 * reading: the index is not sealed, and a resume reads the file again.
 */
export async function indexTargets(
  state: RunState,
  deps: { logger: Logger; signal?: AbortSignal | undefined },
): Promise<boolean> {
  const { logger } = deps;
  const { options, index, redis, runId, ingest } = state;
  if (!(await index.isSealed())) {
    await index.clear();
    const exclude = (await Promise.all(options.exclude.map(readExcludeFile))).flat();
    const policy = new ExclusionPolicy({ allow: options.allow, exclude });
    const families = familiesOf(options.ipVersion);
    const resolver = new NameResolver({
      families,
      servers: options.dnsServer,
      concurrency: options.dnsConcurrency,
      timeoutMs: options.dnsTimeout,
    });
    await ingestTargets({
      file: options.targets!,
      index,
      resolver,
      policy,
      families,
      counts: ingest,
      onMalformed: (m) =>
        logger.warn(
          { line: m.line, text: m.text, reason: m.reason },
          `targets file line ${m.line}: ${m.reason}; skipped`,
        ),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    if (deps.signal?.aborted) {
      logger.warn({ run: runId }, 'interrupted while reading targets; resume starts reading again');
      return false;
    }
    await index.seal(options.batchSize);
    await redis.set(runKeys(runId).ingest, JSON.stringify(ingest));
  } else {
    Object.assign(ingest, JSON.parse((await redis.get(runKeys(runId).ingest)) ?? 'null') ?? {});
  }
  Object.assign(state.totals, await index.counts());
  logger.info({ run: runId, hosts: state.totals.hosts, batches: state.totals.batches, ...ingest }, 'targets indexed');
  warnWhenDnsAnsweredNothing(state, logger);
  return true;
}

function warnWhenDnsAnsweredNothing({ options, ingest, runId }: RunState, logger: Logger): void {
  const dnsFailures = ingest.unresolved - (ingest.unresolvedByReason['no-address'] ?? 0);
  if (ingest.names > 0 && ingest.resolved === 0 && dnsFailures > 0) {
    const servers = options.dnsServer.length > 0 ? options.dnsServer.join(', ') : "the system's resolver";
    logger.warn(
      { run: runId, unresolvedByReason: ingest.unresolvedByReason },
      `no name resolved: ${servers} did not answer for ${dnsFailures} of ${ingest.names} names; check --dns-server and --dns-timeout`,
    );
  }
}
