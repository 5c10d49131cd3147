/**
 * Nmap's XML output (-oX) read with xml2js into every osmatch with every
 * osclass. Nmap writes each <host> when that host is done, so output cut short
 * by a timeout or a kill still holds the hosts finished before it: those are
 * recovered, never thrown away with the rest.
 */
import { parseStringPromise } from 'xml2js';
import { rankMatches } from './nmap-result.ts';
import type { HostState, NmapHostResult, NmapOsClass, NmapOsMatch } from './nmap-result.ts';

/** What one Nmap run's XML says, including whether the document was whole. */
export interface NmapXmlReport {
  readonly hosts: NmapHostResult[];
  /** False when the document was cut short (only the complete <host> elements were read). */
  readonly complete: boolean;
  /** runstats/finished@exit ("success" or "error"), null when the run never finished. */
  readonly exit: string | null;
  /** runstats/finished@errormsg, when Nmap reported one. */
  readonly errorMessage: string | null;
}

/**
 * Parses Nmap XML into one result per <host>, with all osmatch entries ranked
 * best first. Truncated XML yields the hosts that were complete; input that is
 * not Nmap XML at all throws.
 */
export async function parseNmapXml(xml: string): Promise<NmapHostResult[]> {
  return (await parseNmapXmlReport(xml)).hosts;
}

export async function parseNmapXmlReport(xml: string): Promise<NmapXmlReport> {
  if (!/<nmaprun[\s>]/.test(xml)) {
    throw new Error(`not Nmap XML output (no <nmaprun> element in ${xml.length} characters); run Nmap with -oX`);
  }
  let doc: unknown;
  try {
    doc = await parseStringPromise(xml, PARSER_OPTIONS);
  } catch {
    return { hosts: await recoverHosts(xml), complete: false, exit: null, errorMessage: null };
  }
  const run = child(doc, 'nmaprun')[0];
  if (!run) throw new Error('Nmap XML has no <nmaprun> root element');
  const finished = child(child(run, 'runstats')[0], 'finished')[0];
  return {
    hosts: child(run, 'host').flatMap(readHost),
    complete: true,
    exit: attr(finished, 'exit') ?? null,
    errorMessage: attr(finished, 'errormsg') ?? null,
  };
}

const PARSER_OPTIONS = { explicitArray: true, explicitRoot: true, emptyTag: () => ({}) } as const;

/**
 * A cut-short document fails as a whole, so each complete <host> element is
 * parsed on its own. Nmap escapes '<' in every attribute and text it prints,
 * so a literal "</host>" can only be the element's own end tag.
 */
async function recoverHosts(xml: string): Promise<NmapHostResult[]> {
  const hosts: NmapHostResult[] = [];
  for (const [block] of xml.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    try {
      const doc: unknown = await parseStringPromise(block, PARSER_OPTIONS);
      hosts.push(...child(doc, 'host').flatMap(readHost));
    } catch {
      // A block that still does not parse was not a whole host: nothing of it is usable.
    }
  }
  return hosts;
}

function readHost(host: XmlNode): NmapHostResult[] {
  const address = child(host, 'address').find((a) => attr(a, 'addrtype') === 'ipv4' || attr(a, 'addrtype') === 'ipv6');
  const ip = attr(address, 'addr');
  if (!address || !ip) return [];
  const os = child(host, 'os')[0];
  const matches = child(os, 'osmatch').map(readMatch);
  const fingerprint = attr(child(os, 'osfingerprint')[0], 'fingerprint') ?? null;
  return [
    {
      ip,
      addrtype: attr(address, 'addrtype') === 'ipv6' ? 'ipv6' : 'ipv4',
      state: hostState(attr(child(host, 'status')[0], 'state')),
      timedOut: attr(host, 'timedout') === 'true',
      osScanned: os !== undefined,
      matches: rankMatches(matches),
      ports: child(child(host, 'ports')[0], 'port').map((p) => ({
        state: attr(child(p, 'state')[0], 'state') ?? '',
        proto: attr(p, 'protocol') ?? '',
        portid: Number.parseInt(attr(p, 'portid') ?? '', 10) || 0,
      })),
      portsUsed: child(os, 'portused').map((p) => ({
        state: attr(p, 'state') ?? '',
        proto: attr(p, 'proto') ?? '',
        portid: Number.parseInt(attr(p, 'portid') ?? '', 10) || 0,
      })),
      fingerprint,
    },
  ];
}

function readMatch(match: XmlNode): NmapOsMatch {
  const line = Number.parseInt(attr(match, 'line') ?? '', 10);
  return {
    name: attr(match, 'name') ?? '',
    accuracy: accuracyOf(attr(match, 'accuracy')),
    line: Number.isFinite(line) ? line : null,
    classes: child(match, 'osclass').map(readClass),
  };
}

function readClass(osclass: XmlNode): NmapOsClass {
  return {
    type: attr(osclass, 'type') ?? '',
    vendor: attr(osclass, 'vendor') ?? '',
    osfamily: attr(osclass, 'osfamily') ?? '',
    osgen: attr(osclass, 'osgen') ?? null,
    accuracy: accuracyOf(attr(osclass, 'accuracy')),
    cpe: child(osclass, 'cpe')
      .map((c) => c._?.trim() ?? '')
      .filter((c) => c !== ''),
  };
}

function accuracyOf(value: string | undefined): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

function hostState(value: string | undefined): HostState {
  return value === 'up' || value === 'down' || value === 'skipped' ? value : 'unknown';
}

/** An element as xml2js gives it: attributes under `$`, text under `_`, children as arrays. */
interface XmlNode {
  readonly $?: Record<string, string>;
  readonly _?: string;
  readonly [child: string]: unknown;
}

function child(node: unknown, name: string): XmlNode[] {
  if (node === null || typeof node !== 'object') return [];
  const value: unknown = (node as Record<string, unknown>)[name];
  const list: unknown[] = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((item) =>
    typeof item === 'string' ? { _: item } : item !== null && typeof item === 'object' ? (item as XmlNode) : {},
  );
}

function attr(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.$?.[name];
  return typeof value === 'string' ? value : undefined;
}
