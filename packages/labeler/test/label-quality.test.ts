/**
 * Label quality: Nmap's own reliability signals as columns, and the
 * `firewalled` status, from Nmap runs recorded in the lab under the internet
 * profile (firewalled hosts answer only on 80/443) and a hand-made "too many
 * fingerprints match" case, played back by a stand-in Nmap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { labelHosts, parseNmapXml } from '../src/index.ts';
import type { LabelTarget } from '../src/index.ts';
import { labelQuality, looksFirewalled } from '../src/label-quality.ts';
import { parseNormalOutput } from '../src/nmap-normal-output.ts';
import { fakeNmap, fixturePath } from './fake-nmap.ts';
import type { FakeNmap } from './fake-nmap.ts';
import { fixture } from './fixtures.ts';

let fake: FakeNmap | undefined;
afterEach(() => fake?.remove());

/** A stand-in that prints `xml` and, when asked with -oN, writes `normal` there. */
function playback(xml: string, normal: string | null): FakeNmap {
  return fakeNmap(`prev=''; out=''
for a in "$@"; do [ "$prev" = "-oN" ] && out="$a"; prev="$a"; done
${normal === null ? '' : `[ -n "$out" ] && cat '${fixturePath(normal)}' > "$out"`}
cat '${fixturePath(xml)}'`);
}

const recorded: LabelTarget[] = [
  { ip: '198.18.28.1', openPort: 80, closedPort: 1 },
  { ip: '198.19.0.4', openPort: 80, closedPort: 1 },
  { ip: '198.19.0.2', openPort: 80, closedPort: 1 },
];

describe("Nmap's normal output", () => {
  it('says per host whether the OS scan may be unreliable and whether too many fingerprints match', () => {
    expect(parseNormalOutput(fixture('lab-firewalled.nmap'))).toEqual(
      new Map([
        ['198.18.28.1', { unreliable: true, tooManyMatches: false }],
        ['198.19.0.4', { unreliable: true, tooManyMatches: false }],
        ['198.19.0.2', { unreliable: false, tooManyMatches: false }],
      ]),
    );
    expect(parseNormalOutput(fixture('edge-firewalled-too-many.nmap')).get('198.19.0.4')).toEqual({
      unreliable: true,
      tooManyMatches: true,
    });
    // Hosts Nmap names are keyed by their address; a cut-short output keeps the blocks it has.
    expect(parseNormalOutput('Nmap scan report for www.example (192.0.2.7)\nToo many fin')).toEqual(
      new Map([['192.0.2.7', { unreliable: false, tooManyMatches: false }]]),
    );
  });
});

describe('label quality from a recorded run', () => {
  it('a firewalled host: no closed port, a filtered one; Nmap may still name it', async () => {
    const hosts = await parseNmapXml(fixture('lab-firewalled.xml'));
    const byIp = new Map(hosts.map((h) => [h.ip, h]));
    expect(hosts.map((h) => [h.ip, looksFirewalled(h)])).toEqual([
      ['198.18.28.1', true],
      ['198.19.0.4', true],
      ['198.19.0.2', false],
    ]);
    // Without Nmap's words, its rule for the warning (an open and a closed TCP port) stands in.
    expect(labelQuality(byIp.get('198.19.0.4'), undefined, 1)).toEqual({
      nmap_closed_port: false,
      nmap_unreliable: true,
      nmap_too_many_matches: null,
      nmap_tries: 1,
    });
    expect(labelQuality(undefined, undefined, 2)).toEqual({
      nmap_closed_port: null,
      nmap_unreliable: null,
      nmap_too_many_matches: null,
      nmap_tries: 2,
    });
  });

  it('labelHosts fills the quality columns from the XML and the normal output', async () => {
    fake = playback('lab-firewalled.xml', 'lab-firewalled.nmap');
    const labels = await labelHosts(recorded, { nmapPath: fake.path, processes: 1 });
    expect(labels.get('198.18.28.1')).toMatchObject({
      label: 'Windows 2012',
      label_status: 'ok',
      nmap_closed_port: false,
      nmap_unreliable: true,
      nmap_too_many_matches: false,
      nmap_tries: 1,
    });
    expect(labels.get('198.19.0.4')).toMatchObject({
      label_status: 'ok',
      os_family: 'Linux',
      nmap_closed_port: false,
      nmap_unreliable: true,
      nmap_too_many_matches: false,
    });
    expect(labels.get('198.19.0.2')).toMatchObject({
      label_status: 'ok',
      nmap_closed_port: true,
      nmap_unreliable: false,
      nmap_too_many_matches: false,
      nmap_tries: 1,
    });
    const [call] = fake.calls();
    expect(call?.argv).toContain('-oN');
  });

  it('a firewalled host Nmap cannot name is "firewalled", says so, and is not scanned again', async () => {
    fake = playback('edge-firewalled-too-many.xml', 'edge-firewalled-too-many.nmap');
    const labels = await labelHosts([{ ip: '198.19.0.4', openPort: 80, closedPort: 1 }], {
      nmapPath: fake.path,
      processes: 1,
    });
    expect(labels.get('198.19.0.4')).toMatchObject({
      label: null,
      label_status: 'firewalled',
      nmap_guesses: '[]',
      nmap_closed_port: false,
      nmap_unreliable: true,
      nmap_too_many_matches: true,
      nmap_tries: 1,
    });
    expect(fake.calls()).toHaveLength(1);
  });

  it('without a normal output the XML still gives what it can', async () => {
    fake = playback('edge-firewalled-too-many.xml', null);
    const labels = await labelHosts([{ ip: '198.19.0.4', openPort: 80, closedPort: 1 }], {
      nmapPath: fake.path,
      processes: 1,
    });
    expect(labels.get('198.19.0.4')).toMatchObject({
      label_status: 'firewalled',
      nmap_closed_port: false,
      nmap_unreliable: true,
      nmap_too_many_matches: null,
    });
  });
});
