/** Test rows: realistic, deterministic, with the awkward values CSV must survive. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetRow, Provenance, RunInfo } from '../src/index.ts';

export const PROVENANCE: Provenance = {
  toolVersion: 'osfp 0.1.0-test',
  nmapVersion: '7.93',
  nmapOsDbSha256: 'a'.repeat(64),
  taxonomyVersion: 'osfp-taxonomy-1',
  featureSchemaVersion: 1,
};

export function run(runId: string, dataset = 'web'): RunInfo {
  return {
    runId,
    dataset,
    startedAt: new Date('2026-01-02T03:04:05.000Z'),
    targetsFile: 'targets.txt',
    targetsSha256: 'b'.repeat(64),
    options: { rate: 100, label: 'nmap' },
  };
}

/** nmap_guesses as @osfp/labeler writes it (ranked osmatches with their osclasses). */
export function guesses(name: string, acc: number): string {
  const windows = name.includes('Windows');
  return JSON.stringify([
    {
      name,
      accuracy: acc,
      line: 1234,
      classes: [
        windows
          ? {
              type: 'general purpose',
              vendor: 'Microsoft',
              osfamily: 'Windows',
              osgen: '2016',
              accuracy: acc,
              cpe: ['cpe:/o:microsoft:windows_server_2016'],
            }
          : {
              type: 'general purpose',
              vendor: 'Linux',
              osfamily: 'Linux',
              osgen: '4.X',
              accuracy: acc,
              cpe: ['cpe:/o:linux:linux_kernel:4'],
            },
      ],
    },
  ]);
}

export function row(runId: string, i: number, over: Partial<DatasetRow> = {}): DatasetRow {
  const linux = i % 3 !== 0;
  return {
    run_id: runId,
    ip: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    port: 80,
    domains: i % 2 === 0 ? [`host${i}.example`, 'a,b "quoted"'] : [],
    probed_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i)),
    probe_status: 'success',
    http_status: 200,
    http_server: i % 4 === 0 ? null : 'nginx/1.22, "quoted"',
    rtt_ms: 1.25 + i,
    synack_count: 1,
    syn_retransmitted: false,
    ip_version: 4,
    ip_ttl: 64 - (i % 5),
    ip_ittl: 64,
    ip_hops: i % 5,
    ip_df: true,
    ip_id: 0,
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
    tcp_tsval: 4_000_000_000 + i,
    tcp_options: '020405b40402080a',
    tcp_olayout: 'mss,sok,ts,nop,ws',
    tcp_quirks: 'df',
    tcp_wsize: 'mss*44',
    p0f_sig: '4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0',
    syn_olayout: 'mss,sok,ts,nop,ws',
    syn_mss: 1460,
    label: linux ? 'Linux 4.X' : 'Windows 2016',
    label_acc: 95,
    label_2: null,
    label_2_acc: null,
    os_vendor: linux ? 'Linux' : 'Microsoft',
    os_family: linux ? 'Linux' : 'Windows',
    os_gen: linux ? '4.X' : '2016',
    os_type: 'general purpose',
    os_cpe: linux ? 'cpe:/o:linux:linux_kernel:4' : 'cpe:/o:microsoft:windows_server_2016',
    nmap_guesses: guesses(linux ? 'Linux 4.15 - 5.8' : 'Microsoft Windows Server 2016', 95),
    label_status: 'ok',
    nmap_closed_port: true,
    nmap_unreliable: false,
    nmap_too_many_matches: false,
    nmap_tries: 1 + (i % 7 === 0 ? 1 : 0),
    ...over,
  };
}

export const rows = (runId: string, from: number, to: number): DatasetRow[] =>
  Array.from({ length: to - from }, (_, k) => row(runId, from + k));

/** A fresh temp data dir per test; removed afterwards. */
export async function withDataDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'osfp-dataset-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
