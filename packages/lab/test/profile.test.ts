import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostConditions } from '../src/emulator/path.ts';
import { ipToInt } from '../src/emulator/packets.ts';
import { labTruth } from '../src/emulator/truth.ts';
import { labPlan, personalityHost } from '../src/plan.ts';
import {
  describeProfile,
  INTERNET_PROFILE,
  LabProfileError,
  loadProfile,
  profilePath,
  sameProfile,
} from '../src/profile.ts';

const dir = mkdtempSync(join(tmpdir(), 'osfp-profile-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('network profiles', () => {
  it('internet: long-tailed round trips of 20-300 ms with a median near 80 ms, per host', () => {
    const spec = profilePath(INTERNET_PROFILE);
    const rtts = Array.from({ length: 4000 }, (_, n) => hostConditions(spec, ipToInt(personalityHost(0, n))).rttMs);
    rtts.sort((a, b) => a - b);
    const median = rtts[2000]!;
    expect(median).toBeGreaterThan(70);
    expect(median).toBeLessThan(90);
    expect(rtts[0]).toBeGreaterThanOrEqual(20);
    expect(rtts.at(-1)).toBeLessThanOrEqual(300);
    // Long-tailed: the 95th percentile is far further above the median than the 5th is below it.
    expect(rtts[3800]! - median).toBeGreaterThan(2 * (median - rtts[200]!));
  });

  it('internet: at least 30 % of hosts firewalled and some with SYN cookies, the same host the same way every time', () => {
    const spec = profilePath(INTERNET_PROFILE);
    const hosts = Array.from({ length: 4000 }, (_, n) => hostConditions(spec, ipToInt(personalityHost(1, n))));
    const firewalled = hosts.filter((h) => h.firewalled).length / hosts.length;
    expect(firewalled).toBeGreaterThanOrEqual(0.3);
    expect(firewalled).toBeLessThan(0.4);
    expect(hosts.filter((h) => h.synCookies).length / hosts.length).toBeGreaterThan(0.05);
    expect(hostConditions(spec, ipToInt('198.19.0.1'))).toEqual(hostConditions(spec, ipToInt('198.19.0.1')));
  });

  it("ground truth carries each host's conditions; kernel SYN cookies are per personality", () => {
    const plan = { ...labPlan({ prefix: 'osfpu' }), profile: INTERNET_PROFILE };
    const truth = [...labTruth(plan)];
    const emulated = truth.find((t) => t.source === 'emulated')!;
    expect(emulated.conditions).toEqual(hostConditions(profilePath(INTERNET_PROFILE), ipToInt(emulated.ip)));
    const kernel = truth.filter((t) => t.source === 'kernel');
    expect(kernel.filter((t) => t.host === 'bsd').every((t) => t.conditions?.synCookies)).toBe(true);
    expect(kernel.filter((t) => t.host === 'linux').some((t) => t.conditions?.synCookies)).toBe(false);
    expect([...labTruth(labPlan({ prefix: 'osfpu' }))][0]?.conditions).toBeUndefined();
  });

  it('loads built-ins by name, none as null, and files; a file may extend a built-in', () => {
    expect(loadProfile('internet')).toEqual(INTERNET_PROFILE);
    expect(loadProfile('none')).toBeNull();
    const custom = loadProfile(
      file(
        'slow-web.json',
        JSON.stringify({ extends: 'internet', delay: { kind: 'fixed', ms: 150 }, firewalled: 0.5 }),
      ),
    );
    expect(custom).toMatchObject({
      name: 'slow-web',
      firewalled: 0.5,
      delay: { kind: 'fixed', ms: 150 },
      lossIn: 0.01,
    });
    expect(custom?.rtt).toBeUndefined();
    expect(sameProfile(custom, INTERNET_PROFILE)).toBe(false);
    expect(sameProfile(loadProfile('internet'), { ...INTERNET_PROFILE })).toBe(true);
    expect(describeProfile(custom)).toMatch(
      /^slow-web: one-way delay 150 ms, .*50 % of hosts firewalled to TCP 80,443/,
    );
    expect(describeProfile(null)).toMatch(/^none/);
  });

  it('rejects a bad profile with one clear error naming the file and every bad field', () => {
    const bad = file(
      'bad.json',
      JSON.stringify({
        name: 'bad',
        rtt: { kind: 'lognormal', medianMs: 80, sigma: 0.5, minMs: 300, maxMs: 20 },
        lossIn: 1.5,
        firewall: true,
        kernelSynCookies: ['solaris'],
      }),
    );
    let error: unknown;
    try {
      loadProfile(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LabProfileError);
    const message = (error as Error).message;
    expect(message).toContain(`lab profile file "${bad}" is not a valid lab profile`);
    for (const what of ['firewall', 'lossIn', 'minMs must not exceed maxMs', 'not a personality'])
      expect(message).toContain(what);
    expect(() => loadProfile('intenet')).toThrow(/"intenet" is unknown: use internet, none, or a JSON file/);
    expect(() => loadProfile(join(dir, 'missing.json'))).toThrow(/cannot be read/);
    expect(() => loadProfile(file('notjson.json', '{ name: '))).toThrow(/is not JSON/);
    expect(() =>
      loadProfile(
        file('both.json', JSON.stringify({ rtt: { kind: 'fixed', ms: 1 }, delay: { kind: 'fixed', ms: 1 } })),
      ),
    ).toThrow(/either rtt .* or delay/);
    expect(() => loadProfile(file('ext.json', JSON.stringify({ extends: 'moon' })))).toThrow(/not a built-in profile/);
  });
});
