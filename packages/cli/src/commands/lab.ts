import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { stringify } from 'csv-stringify';
import {
  describeProfile,
  labDown,
  labPlan,
  labStatus,
  labTargets,
  labTruth,
  labUp,
  loadProfile,
  maxTargets,
  runningPlan,
  TARGET_FORMATS,
  type TargetFormat,
} from '@osfp/lab';
import { UsageError } from '../usage-error.ts';

interface PrefixOption {
  prefix?: string;
}

const prefixOption = (): Option =>
  new Option('--prefix <name>', 'lab name prefix for its namespaces (env OSFP_LAB_PREFIX, default "osfp")');

/** The prefix from --prefix, else OSFP_LAB_PREFIX, else the default; checked before anything runs. */
function labOptions(options: PrefixOption): { prefix?: string } {
  const prefix = options.prefix ?? process.env['OSFP_LAB_PREFIX'];
  return { prefix: labPlan(prefix === undefined ? {} : { prefix }).prefix };
}

function upCommand(): Command {
  return new Command('up')
    .description('Create the lab namespaces and start its servers and DNS (idempotent; needs root)')
    .addOption(prefixOption())
    .option(
      '--profile <profile>',
      'network conditions of every host: "internet" (20-300 ms, loss, firewalls, SYN cookies), "none", or a JSON file; ' +
        'default: what a running lab has, else none. A lab running with another profile is rebuilt',
    )
    .option(
      '--os <fingerprint...>',
      'also emulate these nmap-os-db Fingerprint names, e.g. "FreeBSD 6.2-RELEASE" (one block of addresses each)',
    )
    .action(async (options: PrefixOption & { profile?: string; os?: string[] }) => {
      // Read and checked before anything is touched: a bad file is one clear message.
      const profile = options.profile === undefined ? undefined : loadProfile(options.profile);
      const plan = await labUp({
        ...labOptions(options),
        ...(profile !== undefined && { profile }),
        ...(options.os ? { os: options.os } : {}),
      });
      const lines = [
        `lab "${plan.prefix}" is up`,
        `  profile ${describeProfile(plan.profile)}`,
        `  scanner namespace ${plan.scannerNamespace} (${plan.scannerAddress}); run tools there with: ip netns exec ${plan.scannerNamespace} <command>`,
        `  DNS ${plan.dnsServer} for *.${plan.domain}`,
        ...plan.personalities.map(
          (p) =>
            `  ${p.name.padEnd(9)} ${p.cidr.padEnd(16)} ttl ${p.expect.ittl}, mss ${p.expect.mss}, wscale ${p.expect.wscale ?? '-'}, ts ${p.expect.timestamps ? 'on' : 'off'}, sack ${p.expect.sack ? 'on' : 'off'}`,
        ),
        ...plan.emulated.map((e) => `  ${e.slug.padEnd(9)} ${e.cidr.padEnd(16)} emulates "${e.fingerprint}"`),
        `  hostile   ${plan.hostile.map((h) => `${h.behaviour} ${h.ip}:${h.port}`).join(', ')}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function downCommand(): Command {
  return new Command('down')
    .description("Stop the lab's processes and delete its namespaces and state (needs root)")
    .addOption(prefixOption())
    .action(async (options: PrefixOption) => {
      const { prefix } = labOptions(options);
      await labDown({ ...(prefix === undefined ? {} : { prefix }) });
      process.stdout.write(`lab "${prefix}" is down\n`);
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('Say whether the lab is up: its namespaces and processes (needs root)')
    .addOption(prefixOption())
    .option('--json', 'print the status as JSON')
    .action(async (options: PrefixOption & { json?: boolean }) => {
      const opts = labOptions(options);
      const status = await labStatus(opts);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ prefix: opts.prefix, ...status })}\n`);
      } else {
        const lines = [
          `lab "${opts.prefix}" is ${status.up ? 'up' : status.namespaces.length > 0 ? 'partly up (run lab up to repair, or lab down)' : 'down'}`,
          `  profile ${describeProfile(status.profile)}`,
          `  namespaces: ${status.namespaces.length > 0 ? status.namespaces.join(', ') : 'none'}`,
          ...status.processes.map(
            (p) => `  ${p.name.padEnd(16)} pid ${String(p.pid).padEnd(8)} ${p.alive ? 'running' : 'NOT RUNNING'}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!status.up) process.exitCode = 1;
    });
}

function targetsCommand(): Command {
  return new Command('targets')
    .description('Write a list of lab targets (names resolve through the lab DNS); no root needed')
    .addOption(prefixOption())
    .requiredOption('--count <n>', 'number of lines to write')
    .addOption(
      new Option('--format <format>', 'tranco (rank,name), domains (name) or ips (address)')
        .choices(TARGET_FORMATS)
        .default('tranco'),
    )
    .option('--hostile', 'include the hostile hosts (line 5, then every 10th line, each once)')
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(
      async (options: PrefixOption & { count: string; format: TargetFormat; hostile?: boolean; out?: string }) => {
        const prefix = labOptions(options).prefix;
        const count = Number(options.count);
        const hostile = options.hostile ?? false;
        const max = maxTargets(options.format, hostile);
        if (!/^\d+$/.test(options.count) || count > max) {
          throw new UsageError(
            `--count "${options.count}" must be a whole number from 0 to ${max} for --format ${options.format}`,
          );
        }
        const lines = labTargets(count, options.format, { hostile, ...(prefix === undefined ? {} : { prefix }) });
        const out = options.out === undefined ? process.stdout : await openOutput(options.out);
        let chunk: string[] = [];
        for (const line of lines) {
          chunk.push(line);
          if (chunk.length === 10_000) {
            if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
            chunk = [];
          }
        }
        if (chunk.length > 0) out.write(`${chunk.join('\n')}\n`);
        if (options.out !== undefined) {
          out.end();
          await once(out, 'finish');
        }
      },
    );
}

export function labCommand(): Command {
  return new Command('lab')
    .description('Manage the private lab network of target hosts (Linux network namespaces; up/down/status need root)')
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(targetsCommand())
    .addCommand(truthCommand());
}

/** The columns of `lab truth`: ip, fingerprint and class first (what `dataset evaluate --truth` reads), then detail. */
const TRUTH_COLUMNS = ['ip', 'fingerprint', 'class', 'source', 'host', 'vendor', 'family', 'gen', 'type', 'cpe'];

function truthCommand(): Command {
  return new Command('truth')
    .description(
      'Write what truly answers at every lab address, as CSV: ip, fingerprint, class (under the current taxonomy), ' +
        'then source (emulated or kernel), host, the Class line and CPE; no root needed',
    )
    .addOption(prefixOption())
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (options: PrefixOption & { out?: string }) => {
      const plan = await runningPlan(labOptions(options));
      const out = options.out === undefined ? process.stdout : await openOutput(options.out);
      const csv = stringify({ header: true, columns: TRUTH_COLUMNS });
      csv.pipe(out);
      let count = 0;
      for (const t of labTruth(plan)) {
        const row = [
          t.ip,
          t.fingerprint,
          t.class,
          t.source,
          t.host,
          t.vendor,
          t.family,
          t.gen,
          t.type,
          t.cpe.join(' '),
        ];
        if (!csv.write(row)) await once(csv, 'drain');
        count++;
      }
      csv.end();
      if (options.out !== undefined) {
        await once(out, 'finish');
        process.stderr.write(`lab "${plan.prefix}": ${count} addresses written to ${options.out}\n`);
      }
    });
}

/** A file stream that is open, or a clear error naming the file. */
async function openOutput(path: string): Promise<NodeJS.WritableStream> {
  const out = createWriteStream(path);
  // once('open') rejects with the raw error: the message must name --out instead.
  await once(out, 'open').catch((error: unknown) => {
    throw new UsageError(`--out "${path}": cannot write (${(error as Error).message})`);
  });
  return out;
}
