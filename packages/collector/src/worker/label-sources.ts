/**
 * The local addresses a worker's Nmap processes send from, one each
 * (`--label-sources`; NmapSlots in @osfp/labeler says why): each must be an
 * address of this machine, and Nmap needs the interface that holds it.
 */
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import type { NmapSource } from '@osfp/labeler';
import { CollectInputError } from '../collect-input-error.ts';

export type InterfaceTable = ReturnType<typeof networkInterfaces>;

/** address -> the interface that holds it, for every address of this machine (network namespace). */
function localAddresses(interfaces: InterfaceTable): Map<string, string> {
  const held = new Map<string, string>();
  for (const [name, addresses] of Object.entries(interfaces)) {
    for (const a of addresses ?? []) if (!a.internal && !held.has(a.address)) held.set(a.address, name);
  }
  return held;
}

/** The sources for `addresses`; throws, naming the option and the address, when one is not this machine's. */
export function resolveLabelSources(
  addresses: readonly string[],
  interfaces: InterfaceTable = networkInterfaces(),
): NmapSource[] {
  const seen = new Set<string>();
  for (const address of addresses) {
    if (isIP(address) === 0) {
      throw new CollectInputError(`--label-sources: "${address}" is not an IPv4 or IPv6 address`);
    }
    if (seen.has(address)) throw new CollectInputError(`--label-sources: ${address} is given twice`);
    seen.add(address);
  }
  const { sources, missing } = availableLabelSources(addresses, interfaces);
  if (missing.length > 0) {
    throw new CollectInputError(
      `--label-sources: ${missing.join(', ')} ${missing.length === 1 ? 'is not an address' : 'are not addresses'} ` +
        'of this machine (nor of its network namespace); give addresses that `ip addr` lists here ' +
        "(Nmap's processes send from them), or leave the option out",
    );
  }
  return sources;
}

/** Of `addresses`, the ones this machine holds, as sources, and the ones it does not. */
export function availableLabelSources(
  addresses: readonly string[],
  interfaces: InterfaceTable = networkInterfaces(),
): { sources: NmapSource[]; missing: string[] } {
  const held = localAddresses(interfaces);
  const sources: NmapSource[] = [];
  const missing: string[] = [];
  for (const address of addresses) {
    const name = held.get(address);
    if (name === undefined) missing.push(address);
    else sources.push({ address, interface: name });
  }
  return { sources, missing };
}
