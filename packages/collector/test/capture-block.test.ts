import { describe, expect, it } from 'vitest';
import { captureBlockMsFromEnv, DEFAULT_CAPTURE_BLOCK_MS } from '../src/sniffer/sniffer.ts';

describe('the capture block time', () => {
  it('defaults to blocks of a few ms, and OSFP_CAPTURE_BLOCK_MS=0 means one delivery per packet', () => {
    expect(captureBlockMsFromEnv({})).toBe(DEFAULT_CAPTURE_BLOCK_MS);
    expect(DEFAULT_CAPTURE_BLOCK_MS).toBeGreaterThan(0);
    expect(captureBlockMsFromEnv({ OSFP_CAPTURE_BLOCK_MS: '0' })).toBe(0);
    expect(captureBlockMsFromEnv({ OSFP_CAPTURE_BLOCK_MS: '25' })).toBe(25);
  });

  it('refuses a value that is not whole milliseconds from 0 to 1000, naming it', () => {
    for (const bad of ['-1', '2.5', 'ten', '5000'])
      expect(() => captureBlockMsFromEnv({ OSFP_CAPTURE_BLOCK_MS: bad })).toThrow(`OSFP_CAPTURE_BLOCK_MS=${bad}`);
  });
});
