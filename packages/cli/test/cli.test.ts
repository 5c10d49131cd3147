import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.ts';

describe('osfp CLI', () => {
  it('has every subcommand, each with help text', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(
      expect.arrayContaining(['collect', 'worker', 'dataset', 'features', 'import-pcap', 'lab', 'bench']),
    );
    for (const command of program.commands) {
      expect(command.description().length, `${command.name()} has a description`).toBeGreaterThan(10);
      expect(command.helpInformation()).toContain(`Usage: osfp ${command.name()}`);
    }
  });
});
