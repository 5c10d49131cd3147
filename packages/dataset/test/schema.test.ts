import { describe, expect, it } from 'vitest';
import { COLUMNS, COLUMN_NAMES } from '../src/schema.ts';

describe('record schema', () => {
  it('keeps the contract column names of docs/record-schema.md, each once', () => {
    const contract = [
      'run_id',
      'ip',
      'port',
      'domains',
      'probed_at',
      'probe_status',
      'http_status',
      'http_server',
      'rtt_ms',
      'ip_ttl',
      'ip_ittl',
      'ip_hops',
      'ip_df',
      'ip_id',
      'ip_tos',
      'ip_ecn',
      'ip_olen',
      'tcp_window',
      'tcp_mss',
      'tcp_wscale',
      'tcp_sack_ok',
      'tcp_ts',
      'tcp_tsval',
      'tcp_options',
      'tcp_olayout',
      'tcp_quirks',
      'tcp_wsize',
      'p0f_sig',
      'syn_olayout',
      'syn_mss',
      'label',
      'label_acc',
      'label_2',
      'label_2_acc',
      'os_vendor',
      'os_family',
      'os_gen',
      'os_type',
      'os_cpe',
      'nmap_guesses',
      'label_status',
    ];
    expect(COLUMN_NAMES).toEqual(expect.arrayContaining(contract));
    expect(new Set(COLUMN_NAMES).size).toBe(COLUMNS.length);
  });
});
