import { describe, expect, it } from 'vitest';
import { parseNmapXml, parseNmapXmlReport } from '../src/index.ts';
import { fixture } from './fixtures.ts';

describe('parseNmapXml on recorded Nmap runs', () => {
  it('keeps every osmatch with every osclass, ranked, with line numbers and cpes', async () => {
    const [host, ...rest] = await parseNmapXml(fixture('loopback-linux.xml'));
    expect(rest).toEqual([]);
    expect(host).toMatchObject({ ip: '127.0.0.1', addrtype: 'ipv4', state: 'up', osScanned: true, timedOut: false });
    expect(host?.matches).toHaveLength(10);
    expect(host?.matches[0]).toEqual({
      name: 'Linux 5.0 - 5.2',
      accuracy: expect.any(Number),
      line: 68062,
      classes: [
        {
          type: 'general purpose',
          vendor: 'Linux',
          osfamily: 'Linux',
          osgen: '5.X',
          accuracy: expect.any(Number),
          cpe: ['cpe:/o:linux:linux_kernel:5'],
        },
      ],
    });
    const accuracies = host?.matches.map((m) => m.accuracy) ?? [];
    expect(accuracies).toEqual([...accuracies].sort((a, b) => b - a));
    const axis = host?.matches.find((m) => m.name.startsWith('AXIS'));
    expect(axis?.classes.map((c) => [c.osfamily, c.osgen, c.cpe.length])).toEqual([
      ['Linux', '2.6.X', 1],
      ['embedded', null, 2],
    ]);
    expect(host?.fingerprint).toMatch(/^OS:SCAN\(V=7\.93/);
  });

  it('reads every host of a batch', async () => {
    const hosts = await parseNmapXml(fixture('loopback-three-hosts.xml'));
    expect(hosts.map((h) => [h.ip, h.matches.length > 0])).toEqual([
      ['127.0.0.1', true],
      ['127.0.0.2', true],
      ['127.0.0.3', false],
    ]);
  });

  it('a host with no open port has an <os> element but no osmatch', async () => {
    const [host] = await parseNmapXml(fixture('loopback-no-open-port.xml'));
    expect(host).toMatchObject({ ip: '127.0.0.3', osScanned: true, matches: [], fingerprint: null });
  });

  it('marks hosts Nmap gave up on (--host-timeout)', async () => {
    const [host] = await parseNmapXml(fixture('loopback-host-timeout.xml'));
    expect(host).toMatchObject({ ip: '127.0.0.1', timedOut: true, matches: [] });
  });
});

describe('parseNmapXml on recorded lab runs', () => {
  it('every personality of the lab gets guesses (one Nmap over four hosts)', async () => {
    const hosts = await parseNmapXml(fixture('lab-four-personalities.xml'));
    expect(hosts.map((h) => h.ip)).toEqual(['198.19.0.1', '198.19.64.1', '198.19.128.1', '198.19.192.1']);
    for (const host of hosts) {
      expect(host.matches.length).toBeGreaterThan(0);
      // Every personality runs on this machine's Linux kernel, and Nmap sees through the sysctls.
      expect(host.matches[0]?.classes.some((c) => c.osfamily === 'Linux')).toBe(true);
    }
  });

  it('hostile hosts: answering ones are guessed, a closed or dropping one is not', async () => {
    const hosts = await parseNmapXml(fixture('lab-hostile.xml'));
    expect(hosts.map((h) => [h.ip, h.matches.length > 0])).toEqual([
      ['198.18.250.1', true],
      ['198.18.250.2', true],
      ['198.18.250.3', true],
      ['198.18.250.4', false],
      ['198.18.250.5', false],
    ]);
  });
});

describe('parseNmapXml edge cases', () => {
  it('no <os> element', async () => {
    const [host] = await parseNmapXml(fixture('edge-no-os-element.xml'));
    expect(host).toMatchObject({ ip: '198.18.0.10', osScanned: false, matches: [] });
  });

  it('hosts down (recorded in the lab: addresses nobody answers, host discovery on)', async () => {
    const hosts = await parseNmapXml(fixture('lab-host-down.xml'));
    expect(hosts.map((h) => [h.ip, h.state, h.osScanned, h.matches.length])).toEqual([
      ['198.18.0.222', 'down', false, 0],
      ['198.18.0.223', 'down', false, 0],
    ]);
  });

  it('several osclasses, out-of-order accuracies and an osmatch without osclass', async () => {
    const [host] = await parseNmapXml(fixture('edge-several-osclasses.xml'));
    expect(host?.ip).toBe('198.18.1.10');
    expect(host?.matches.map((m) => [m.accuracy, m.classes.length])).toEqual([
      [93, 2],
      [91, 1],
      [88, 1],
      [85, 0],
    ]);
    expect(host?.matches[1]?.classes[0]?.cpe).toEqual([
      'cpe:/o:microsoft:windows_server_2012',
      'cpe:/o:microsoft:windows_server_2012:r2',
    ]);
    expect(host?.matches[3]?.line).toBeNull();
  });

  it('IPv6 hosts are read with their address type', async () => {
    const hosts = await parseNmapXml(fixture('edge-ipv6.xml'));
    expect(hosts.map((h) => [h.ip, h.addrtype, h.matches[0]?.classes[0]?.osgen])).toEqual([
      ['2001:db8::10', 'ipv6', '11.X'],
      ['198.18.2.10', 'ipv4', '4.X'],
    ]);
  });

  it('hostile strings stay inert data', async () => {
    const [first, second] = await parseNmapXml(fixture('edge-hostile-strings.xml'));
    expect(first?.matches[0]?.name).toBe('</host><script>alert(1)</script> "x" & $(rm -rf /) {osgen} Ünïcode');
    expect(first?.matches[0]?.classes[0]).toEqual({
      type: 'general purpose',
      vendor: '__proto__',
      osfamily: '{vendor}</os>',
      osgen: '$(id)',
      accuracy: 99,
      cpe: ['cpe:/o:evil:</host>'],
    });
    expect(second?.matches[0]?.classes[0]).toMatchObject({
      vendor: 'constructor',
      osfamily: 'toString',
      osgen: null,
      cpe: [],
    });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('truncated XML keeps the hosts that were complete', async () => {
    const xml = fixture('loopback-three-hosts.xml');
    const cut = xml.slice(0, xml.indexOf('<address addr="127.0.0.2"') + 40);
    const report = await parseNmapXmlReport(cut);
    expect(report.complete).toBe(false);
    expect(report.exit).toBeNull();
    expect(report.hosts.map((h) => h.ip)).toEqual(['127.0.0.1']);
    expect(report.hosts[0]?.matches.length).toBeGreaterThan(0);
  });

  it('truncated before any host yields no hosts', async () => {
    const xml = fixture('loopback-linux.xml');
    expect(await parseNmapXml(xml.slice(0, xml.indexOf('<host ') + 10))).toEqual([]);
  });

  it('reports the error Nmap wrote in runstats', async () => {
    const report = await parseNmapXmlReport(fixture('edge-nmap-error.xml'));
    expect(report).toMatchObject({
      complete: true,
      exit: 'error',
      errorMessage: 'Failed to open input file - for reading',
      hosts: [],
    });
  });

  it('rejects input that is not Nmap XML', async () => {
    await expect(parseNmapXml('Starting Nmap 7.93\nQUITTING!')).rejects.toThrow(/not Nmap XML/);
    await expect(parseNmapXml('')).rejects.toThrow(/not Nmap XML/);
  });
});
