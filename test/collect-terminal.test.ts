/**
 * `osfp collect` on a terminal, checked as a person would see it (issue 14,
 * item 1): the run goes in a real pseudo-terminal (tmux), and the test reads
 * the screen. The live panel is never broken by log lines (warnings print as
 * one pretty line above it; the JSON log goes to a file the panel names),
 * counts move per stage (probed before written), rates show before the first
 * batch is written, and the summary lands below the final panel.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labTargets } from '@osfp/lab';
import { needs, scratchDir } from '@osfp/test-support';
import { sharedLab } from './lab-support/shared-lab.ts';
import { repoRoot } from './pipeline-helpers.ts';

// A tmux server of this test's own: other engineers' sessions are never touched.
const SOCKET = `osfp-test-${process.pid}`;
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = (): string => tmux('capture-pane', '-p', '-t', 'collect', '-S', '-200');

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The numbers the panel shows, or null when there is no panel on this screen. */
function panelNumbers(text: string): { probed: number; written: number; probeRate: string } | null {
  const probe = /^ {2}probe +probed ([\d,]+) · responsive [\d,]+ +[\d,]+\/[\d,]+ batches +(\S+)/m.exec(text);
  const write = /^ {2}write +rows written ([\d,]+)/m.exec(text);
  if (!probe || !write) return null;
  const num = (s: string) => Number(s.replaceAll(',', ''));
  return { probed: num(probe[1]!), written: num(write[1]!), probeRate: probe[2]! };
}

describe.skipIf(needs('root', 'netns', 'redis-server', 'nmap', 'dnsmasq', 'tmux'))('osfp collect on a terminal', () => {
  afterEach(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  it('shows a live panel that log lines never break, with counts that move per stage', async () => {
    const plan = sharedLab();
    expect(plan).not.toBeNull();
    const dir = await scratchDir('osfp-tty-');
    const targets = join(dir, 'tty-list.csv');
    // A malformed line: its warning must print above the panel, not as raw JSON inside it.
    await writeFile(targets, `${[...labTargets(120, 'tranco', { hostile: true })].join('\n')}\nnot a target!\n`);
    const dataDir = join(dir, 'data');
    const command = [
      process.execPath,
      '--import',
      'tsx',
      join(repoRoot, 'packages', 'cli', 'src', 'main.ts'),
      'collect',
      '--lab',
      plan!.prefix,
      '--targets',
      targets,
      '--data-dir',
      dataDir,
      '--timeout',
      '3',
      '--batch-size',
      '16',
    ]
      .map(quote)
      .join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      'collect',
      '-x',
      '200',
      '-y',
      '50',
      `cd ${quote(repoRoot)} && ${command}; echo "osfp exited $?"; sleep 600`,
    );

    const screens: string[] = [];
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const text = screen();
      screens.push(text);
      if (text.includes('osfp exited')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const last = screens.at(-1)!;
    expect(last, last).toContain('osfp exited 0');

    for (const text of screens) {
      // No raw JSON log line, ever; at most one panel on screen at a time.
      expect(text, text).not.toMatch(/^\{"level":/m);
      expect(text.match(/^osfp collect \S+ \(tty-list\) — /gm)?.length ?? 0, text).toBeLessThanOrEqual(1);
    }
    // The warning, as one readable line above the panel.
    expect(last).toMatch(/WARN: targets file line 121: .*skipped/);
    const warningAt = last.indexOf('WARN: targets file line 121');
    expect(warningAt).toBeLessThan(last.indexOf('osfp collect '));

    // Counts move as each stage finishes: probing shows, with its rate, before any row is written.
    const panels = screens.map(panelNumbers).filter((p) => p !== null);
    expect(panels.length).toBeGreaterThan(5);
    expect(panels.some((p) => p.probed > 0 && p.written === 0)).toBe(true);
    expect(panels.some((p) => p.written === 0 && /^[\d.,]+$/.test(p.probeRate))).toBe(true);
    expect(panels.some((p) => p.probed > p.written && p.written > 0)).toBe(true);

    // The final panel stays, the summary is printed below it, and both agree.
    const finalPanel = panelNumbers(last)!;
    const summaryAt = last.indexOf('run ');
    expect(summaryAt).toBeGreaterThan(last.indexOf('osfp collect '));
    const rows = Number(/^ {2}rows: +([\d,]+)/m.exec(last)?.[1]?.replaceAll(',', ''));
    expect(finalPanel.written).toBe(rows);
    expect(last).toMatch(/^ {2}ETA +0s/m);

    // The JSON log is in the file the panel names, the warning included.
    const logFile = /^ {2}log +(\S+) /m.exec(last)?.[1];
    expect(logFile).toBeDefined();
    const lines = (await readFile(logFile!, 'utf8')).trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(records.some((r) => r.msg.startsWith('targets file line 121') && r.level === 40)).toBe(true);
    expect(records.some((r) => r.msg === 'targets indexed')).toBe(true);
  }, 300_000);
});
