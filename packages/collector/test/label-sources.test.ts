import { describe, expect, it } from 'vitest';
import type { NetworkInterfaceInfo } from 'node:os';
import { WorkerOptionsSchema } from '../src/config/worker-options.ts';
import { CollectInputError } from '../src/collect-input-error.ts';
import { availableLabelSources, resolveLabelSources } from '../src/worker/label-sources.ts';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '02:00:00:00:00:01',
  internal,
  cidr: `${address}/24`,
});

/** A scanner namespace as `os.networkInterfaces()` sees it: lo, and eth0 with the label sources. */
const table = {
  lo: [v4('127.0.0.1', true)],
  eth0: [v4('198.18.0.10'), v4('198.18.0.150'), v4('198.18.0.151')],
};

describe('label source addresses (--label-sources)', () => {
  it('names the interface that holds each address', () => {
    expect(resolveLabelSources(['198.18.0.151', '198.18.0.150'], table)).toEqual([
      { address: '198.18.0.151', interface: 'eth0' },
      { address: '198.18.0.150', interface: 'eth0' },
    ]);
    expect(resolveLabelSources([], table)).toEqual([]);
  });

  it('refuses an address this machine does not hold, a repeated one, or no address at all, naming it', () => {
    expect(() => resolveLabelSources(['198.18.0.150', '198.18.0.152'], table)).toThrow(
      /--label-sources: 198\.18\.0\.152 is not an address of this machine.*ip addr/,
    );
    expect(() => resolveLabelSources(['198.18.0.150'], table)).not.toThrow();
    expect(() => resolveLabelSources(['198.18.0.150', '198.18.0.150'], table)).toThrow(/given twice/);
    expect(() => resolveLabelSources(['eth0'], table)).toThrow(CollectInputError);
    // Loopback is not a source: Nmap cannot reach the network from it.
    expect(() => resolveLabelSources(['127.0.0.1'], table)).toThrow(/not an address of this machine/);
  });

  it("splits a lab's addresses into the ones this machine holds and the ones it lacks", () => {
    expect(availableLabelSources(['198.18.0.150', '198.18.0.152'], table)).toEqual({
      sources: [{ address: '198.18.0.150', interface: 'eth0' }],
      missing: ['198.18.0.152'],
    });
  });

  it('osfp worker takes them comma-separated, and none by default', () => {
    const parsed = WorkerOptionsSchema.parse({ redis: 'redis://127.0.0.1:6379', labelSources: '198.18.0.150, ::1' });
    expect(parsed.labelSources).toEqual(['198.18.0.150', '::1']);
    expect(WorkerOptionsSchema.parse({ redis: 'redis://127.0.0.1:6379' }).labelSources).toEqual([]);
    expect(() => WorkerOptionsSchema.parse({ redis: 'redis://127.0.0.1:6379', labelSources: 'eth0' })).toThrow(
      /expected an IPv4 or IPv6 address/,
    );
    expect(() => WorkerOptionsSchema.parse({ redis: 'redis://127.0.0.1:6379', role: '' })).toThrow(/at least one role/);
  });
});
