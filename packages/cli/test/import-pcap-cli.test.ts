import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showVersion } from '@osfp/dataset';
import { makeLabelledFlowsCapture } from '@osfp/features/testing';
import { needs } from '@osfp/test-support';
import { runOsfp } from './support/run-osfp.ts';

describe.skipIf(needs('scapy', 'tshark'))(
  'osfp import-pcap on a Scapy capture commented by editcap',
  { timeout: 120_000 },
  () => {
    let dir: string;
    let capture: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'osfp-import-pcap-cli-'));
      ({ capture } = makeLabelledFlowsCapture(dir));
    }, 120_000);
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('takes labels through --label-pattern, from the command line', async () => {
      const dataDir = join(dir, 'data-pattern');
      const { code, out } = await runOsfp(
        'import-pcap',
        capture,
        '--dataset',
        'coarse',
        '--label-pattern',
        '_(\\w+)',
        '--data-dir',
        dataDir,
      );
      expect(code).toBe(0);
      expect(out).toMatch(
        /^coarse@1: 2 labelled flows from 18 packets \(4 TCP flows, 3 with a SYN-ACK, 1 unlabelled\)/,
      );
      const manifest = await showVersion(dataDir, 'coarse');
      expect(manifest.classHistogram.map((h) => h.label).sort()).toEqual(['Linux', 'Windows']);
    });
  },
);
