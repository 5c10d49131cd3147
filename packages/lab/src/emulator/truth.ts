/**
 * Ground truth: for every address that answers in the lab, what really
 * answers there. Emulated hosts are their fingerprint (name, nmap-os-db line,
 * Class and CPE lines); kernel-personality hosts are this machine's own Linux
 * kernel whatever their sysctls make them look like, and say so.
 */
import { release } from 'node:os';
import { PERSONALITIES } from '../personalities.ts';
import { HOSTS_PER_EMULATED, HOSTS_PER_PERSONALITY, emulatedHost, personalityHost } from '../plan.ts';
import { profilePath, type LabProfile } from '../profile.ts';
import { classOfLine, fingerprintClass, type EmulatedOs } from './catalog.ts';
import { DEFAULT_OS_DB, loadOsDb, requireFingerprint, type OsClass } from './os-db.ts';
import { ipToInt } from './packets.ts';
import { hostConditions, type HostConditions, type PathSpec } from './path.ts';

export interface TruthRecord {
  ip: string;
  /** 'emulated' (a userspace responder) or 'kernel' (a personality: this machine's kernel). */
  source: 'emulated' | 'kernel';
  /** Emulated OS slug or personality name. */
  host: string;
  fingerprint: string;
  /** nmap-os-db line of the Fingerprint entry, null for kernel personalities. */
  line: number | null;
  classLines: OsClass[];
  vendor: string;
  family: string;
  gen: string;
  type: string;
  cpe: string[];
  /** osfp's taxonomy class of the first Class line (DEFAULT_TAXONOMY). */
  class: string;
  /**
   * The host's path under the lab's network profile (or its OS's own path
   * conditions): round trip, firewall, SYN cookies. Absent on a free network.
   */
  conditions?: HostConditions;
}

/** The Class line of this machine's kernel: Linux <major>.X, general purpose. */
export function kernelClassLine(kernelRelease = release()): OsClass {
  const major = /^(\d+)\./.exec(kernelRelease)?.[1] ?? '';
  return { vendor: 'Linux', family: 'Linux', gen: major ? `${major}.X` : '', type: 'general purpose' };
}

/**
 * Every responsive address of the lab of `plan` (emulated blocks, then the
 * personalities' blocks), as a lazy sequence: 74,726 records for the default
 * lab, made in well under a second.
 */
export function* labTruth(
  plan: { readonly emulated: readonly EmulatedOs[]; readonly profile?: LabProfile | undefined },
  osDb = DEFAULT_OS_DB,
): Generator<TruthRecord> {
  const profile = plan.profile ? profilePath(plan.profile) : undefined;
  const conditionsOf = (path: PathSpec | undefined, ip: string, kernelCookies?: boolean) => {
    if (!path) return {};
    const c = hostConditions(path, ipToInt(ip));
    // A kernel decides SYN cookies per namespace, whatever the host's draw.
    return { conditions: kernelCookies === undefined ? c : { ...c, synCookies: kernelCookies } };
  };
  const db = plan.emulated.length > 0 ? loadOsDb(osDb) : null;
  for (const os of plan.emulated) {
    const fp = requireFingerprint(db!, os.fingerprint);
    const first = fp.classes[0] ?? { vendor: '', family: '', gen: '', type: '' };
    const template = {
      source: 'emulated' as const,
      host: os.slug,
      fingerprint: fp.name,
      line: fp.line,
      classLines: fp.classes,
      vendor: first.vendor,
      family: first.family,
      gen: first.gen,
      type: first.type,
      cpe: fp.cpe,
      class: fingerprintClass(fp),
    };
    for (let n = 0; n < HOSTS_PER_EMULATED; n++) {
      const ip = emulatedHost(os.index, n);
      yield { ip, ...template, ...conditionsOf(os.path ?? profile, ip) };
    }
  }
  const kernel = kernelClassLine();
  const rel = release();
  const major = /^(\d+\.\d+)/.exec(rel)?.[1] ?? rel;
  for (const [index, p] of PERSONALITIES.entries()) {
    const template = {
      source: 'kernel' as const,
      host: p.name,
      fingerprint: `this machine's Linux kernel ${rel} (personality "${p.name}": ${p.imitates}; only sysctls differ)`,
      line: null,
      classLines: [kernel],
      vendor: kernel.vendor,
      family: kernel.family,
      gen: kernel.gen,
      type: kernel.type,
      cpe: [`cpe:/o:linux:linux_kernel:${major}`],
      class: classOfLine(kernel),
    };
    const cookies = plan.profile?.kernelSynCookies?.includes(p.name) ?? false;
    for (let n = 0; n < HOSTS_PER_PERSONALITY; n++) {
      const ip = personalityHost(index, n);
      yield { ip, ...template, ...conditionsOf(profile, ip, cookies) };
    }
  }
}
