import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../src/program.ts';

describe('osfp CLI', () => {
  it('has every subcommand, each with help text', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(
      expect.arrayContaining(['collect', 'worker', 'dataset', 'features', 'import-pcap', 'lab', 'ui', 'bench']),
    );
    for (const command of program.commands) {
      expect(command.description().length, `${command.name()} has a description`).toBeGreaterThan(10);
      expect(command.helpInformation()).toContain(`Usage: osfp ${command.name()}`);
    }
  });

  it('says in --help, for every duration option of every command, that a bare number is seconds', () => {
    const durations: string[] = [];
    const visit = (command: Command): void => {
      for (const option of command.options) {
        if (!/<duration>/.test(option.flags)) continue;
        durations.push(`${command.name()} ${option.long}`);
        expect(option.description, `${command.name()} ${option.long}`).toMatch(/a bare number is seconds/);
      }
      command.commands.forEach(visit);
    };
    visit(buildProgram());
    expect(durations).toEqual(
      expect.arrayContaining(['collect --timeout', 'collect --label-timeout', 'collect --dns-timeout']),
    );
  });
});
