import { describe, expect, it } from 'vitest';
import { needs } from '@osfp/test-support';
import { startSniffer } from '../src/sniffer/sniffer.ts';

describe.skipIf(needs('root'))('a raw-socket capture process that dies', () => {
  it('settles a stats request that was waiting for it, and fails later batches instead of hanging them', async () => {
    const sniffer = await startSniffer({ method: 'raw-socket' });
    try {
      // Stop the process first, so the request cannot be answered, then ask.
      process.kill(sniffer.pid, 'SIGSTOP');
      const stats = sniffer.stats();
      process.kill(sniffer.pid, 'SIGKILL');
      const settled = await Promise.race([
        stats.then(() => 'settled'),
        new Promise((r) => setTimeout(() => r('hung'), 5_000)),
      ]);
      expect(settled).toBe('settled');
      await expect(stats).resolves.toMatchObject({ readErrors: 0 });
      expect(sniffer.failure?.message).toMatch(/SYN-ACK capture process ended/);
      await expect(sniffer.claim('198.18.0.1', 80, 40000)).resolves.toBeNull();
    } finally {
      await sniffer.close();
    }
  }, 30_000);
});
