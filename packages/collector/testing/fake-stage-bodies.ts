import type { LabelFields, SynAckFeatures } from '@osfp/dataset';
import type { ProbeOutcome } from '../src/probe/probe-types.ts';
import type { StageBodies } from '../src/worker/stage-bodies.ts';

/** A SYN-ACK as a Linux host would send it; only the shape matters to the pipeline. */
export function fakeSynAck(ip: string): SynAckFeatures {
  const last = Number(ip.split('.')[3]);
  return {
    ip_version: 4,
    ip_ttl: 64,
    ip_ittl: 64,
    ip_hops: 0,
    ip_df: true,
    ip_id: last,
    ip_tos: 0,
    ip_ecn: 0,
    ip_olen: 0,
    ip_flow: null,
    ip_ext: null,
    tcp_window: 65160,
    tcp_mss: 1460,
    tcp_wscale: 7,
    tcp_sack_ok: true,
    tcp_ts: true,
    tcp_tsval: 1000 + last,
    tcp_options: '020405b40402080a',
    tcp_olayout: 'mss,sok,ts,nop,ws',
    tcp_quirks: 'df',
    tcp_wsize: 'mss*44',
    p0f_sig: '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0',
  };
}

export function fakeLabel(ip: string): LabelFields {
  const linux = Number(ip.split('.')[3]) % 4 === 1;
  return {
    label: linux ? 'Linux 4.X' : 'FreeBSD 12.X',
    label_acc: 95,
    label_2: null,
    label_2_acc: null,
    os_vendor: linux ? 'Linux' : 'FreeBSD',
    os_family: linux ? 'Linux' : 'FreeBSD',
    os_gen: linux ? '4.X' : '12.X',
    os_type: 'general purpose',
    os_cpe: null,
    nmap_guesses: '[]',
    label_status: 'ok',
    nmap_closed_port: true,
    nmap_unreliable: false,
    nmap_too_many_matches: false,
    nmap_tries: 1,
  };
}

/**
 * Stage bodies that touch no network: an address answers when its last octet
 * is odd. `probeDelayMs` keeps batches in flight long enough to crash things.
 */
export function fakeStageBodies(
  options: { probeDelayMs?: number; labelDelayMs?: number; probed?: string[] } = {},
): StageBodies {
  return {
    async createProber() {
      return {
        syn: { syn_olayout: 'mss,sok,ts,nop,ws', syn_mss: 1460 },
        async probeBatch(targets) {
          if (options.probeDelayMs) await new Promise((r) => setTimeout(r, options.probeDelayMs));
          return targets.map((t): ProbeOutcome => {
            options.probed?.push(`${t.ip}:${t.port}`);
            const up = Number(t.ip.split('.')[3]) % 2 === 1;
            return {
              ip: t.ip,
              port: t.port,
              hostname: t.hostname ?? null,
              probed_at: new Date(),
              probe_status: up ? 'success' : 'refused',
              http_status: up ? 200 : null,
              http_server: up ? 'nginx' : null,
              rtt_ms: up ? 0.5 : null,
              synack_count: up ? 1 : null,
              syn_retransmitted: up ? false : null,
              synack: up ? fakeSynAck(t.ip) : null,
              syn: { syn_olayout: 'mss,sok,ts,nop,ws', syn_mss: 1460 },
            };
          });
        },
        async close() {},
      };
    },
    async labelHosts(targets) {
      if (options.labelDelayMs) await new Promise((r) => setTimeout(r, options.labelDelayMs));
      return new Map(targets.map((t) => [t.ip, fakeLabel(t.ip)]));
    },
  };
}
