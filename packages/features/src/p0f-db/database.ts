/**
 * Reads the p0f v3 fingerprint database (p0f.fp) installed on the machine.
 * The file is read at run time, never vendored: whoever runs the evaluation
 * gets the database their p0f uses. Only the `[tcp:request]` and
 * `[tcp:response]` sections matter here; the others are skipped.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '@osfp/dataset';
import {
  P0fSignatureError,
  parseOptionLayout,
  parsePayloadClass,
  parseQuirks,
  parseSmallInt,
  parseWindowTerm,
  type P0fQuirk,
  type WindowTerm,
} from './signature.ts';

/** Where Debian's p0f package installs its database. */
export const DEFAULT_P0F_DB_PATH = '/etc/p0f/p0f.fp';

/** A `label = type:class:name:flavor` line. */
export interface P0fLabel {
  /** `g:` labels are generic: used only when nothing specific matched. */
  readonly generic: boolean;
  /** `win`, `unix`, `other`...; null for `!` (a userland tool, not an OS). */
  readonly osClass: string | null;
  readonly name: string;
  readonly flavor: string;
  /** What p0f prints as `os`: name, then flavor. */
  readonly text: string;
}

/** One `sig = ...` line of a TCP section, with its label. */
export interface P0fTcpSignature {
  readonly line: number;
  readonly label: P0fLabel;
  readonly ipVersion: 4 | 6 | null;
  readonly ittl: number;
  /** `64-`: the system randomises its initial TTL, so only an upper bound holds. */
  readonly badTtl: boolean;
  readonly ipOptionLength: number;
  readonly mss: number | null;
  readonly window: WindowTerm;
  readonly windowScale: number | null;
  readonly optionLayout: string;
  readonly quirks: ReadonlySet<P0fQuirk>;
  readonly payloadClass: 0 | 1 | null;
}

export interface P0fDatabase {
  readonly source: string;
  /** Signatures of SYN-ACKs (what osfp captures), in file order. */
  readonly tcpResponse: readonly P0fTcpSignature[];
  /** Signatures of SYNs, in file order. */
  readonly tcpRequest: readonly P0fTcpSignature[];
}

export class P0fDatabaseError extends UserError {}

export async function loadP0fDatabase(path: string = DEFAULT_P0F_DB_PATH): Promise<P0fDatabase> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new P0fDatabaseError(
      `cannot read the p0f database ${path} (${reason}); install Debian's p0f (apt-get install p0f) or pass --p0f-db PATH`,
    );
  }
  return parseP0fDatabase(text, path);
}

export function parseP0fDatabase(text: string, source: string): P0fDatabase {
  const tcpResponse: P0fTcpSignature[] = [];
  const tcpRequest: P0fTcpSignature[] = [];
  let section: string | null = null;
  let label: P0fLabel | null = null;
  let sawSection = false;

  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) return;
    const fail = (why: string): never => {
      throw new P0fDatabaseError(`${source}:${lineNo}: ${why}`);
    };
    const header = /^\[([a-z]+)(?::([a-z]+))?\]$/.exec(line);
    if (header) {
      section = header[2] === undefined ? (header[1] ?? null) : `${header[1]}:${header[2]}`;
      label = null;
      sawSection = true;
      return;
    }
    if (line.startsWith('[')) fail(`malformed section header "${line}"`);
    const kv = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) return fail(`expected "key = value", got "${line}"`);
    const key = kv[1] ?? '';
    const value = kv[2] ?? '';
    if (section !== 'tcp:response' && section !== 'tcp:request') return;
    if (key === 'label') {
      label = parseLabel(value) ?? fail(`malformed label "${value}"`);
    } else if (key === 'sig') {
      if (label === null) fail('sig before any label');
      try {
        const signature = parseDatabaseSignature(value, lineNo, label as P0fLabel);
        (section === 'tcp:response' ? tcpResponse : tcpRequest).push(signature);
      } catch (error) {
        if (error instanceof P0fSignatureError) fail(error.message);
        throw error;
      }
    }
    // `sys = ...` lists only matter for userland-tool labels; not needed here.
  });

  if (!sawSection || tcpResponse.length === 0) {
    throw new P0fDatabaseError(`${source} is not a p0f v3 database: no [tcp:response] signatures found`);
  }
  return { source, tcpResponse, tcpRequest };
}

function parseLabel(value: string): P0fLabel | null {
  const match = /^([sg]):([^:]+):([^:]+):(.*)$/.exec(value);
  if (!match) return null;
  const name = match[3] ?? '';
  const flavor = match[4] ?? '';
  return {
    generic: match[1] === 'g',
    osClass: match[2] === '!' ? null : (match[2] ?? null),
    name,
    flavor,
    text: flavor === '' ? name : `${name} ${flavor}`,
  };
}

function parseDatabaseSignature(value: string, line: number, label: P0fLabel): P0fTcpSignature {
  const fields = value.split(':');
  if (fields.length !== 8) throw new P0fSignatureError(`signature needs 8 fields separated by ":", got "${value}"`);
  const [ver, ttl, olen, mss, win, layout, quirks, pclass] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (ver !== '4' && ver !== '6' && ver !== '*') throw new P0fSignatureError(`bad IP version "${ver}"`);
  const ipVersion = ver === '4' ? 4 : ver === '6' ? 6 : null;

  const ttlMatch = /^(\d+)(-|\+(\d+))?$/.exec(ttl);
  if (!ttlMatch) throw new P0fSignatureError(`bad initial TTL "${ttl}"`);
  const ittl = Number(ttlMatch[1]) + (ttlMatch[3] === undefined ? 0 : Number(ttlMatch[3]));
  if (ittl < 1 || ittl > 255) throw new P0fSignatureError(`bad initial TTL "${ttl}"`);

  const comma = win.indexOf(',');
  if (comma < 0) throw new P0fSignatureError(`window field needs "size,scale", got "${win}"`);
  const scale = win.slice(comma + 1);

  return {
    line,
    label,
    ipVersion,
    ittl,
    badTtl: ttlMatch[2] === '-',
    ipOptionLength: parseSmallInt(olen, 'IP option length', 255),
    mss: mss === '*' ? null : parseSmallInt(mss, 'MSS', 65535),
    window: parseWindowTerm(win.slice(0, comma)),
    windowScale: scale === '*' ? null : parseSmallInt(scale, 'window scale', 255),
    optionLayout: parseOptionLayout(layout),
    quirks: parseQuirks(quirks),
    payloadClass: parsePayloadClass(pclass),
  };
}
