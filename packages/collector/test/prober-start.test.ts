import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const proberModule = fileURLToPath(new URL('../src/probe/index.ts', import.meta.url));
const script = `
const { createProber } = await import(${JSON.stringify(proberModule)});
try { await createProber({ timeoutMs: 1000, concurrency: 1, userAgent: 'osfp-test' }); console.log('started'); process.exit(0); }
catch (error) { console.log(error.message); }
`;

const MESSAGES = {
  pcap: /SYN-ACK capture could not start \(run the worker as root or with CAP_NET_RAW\): cannot open libpcap on "any": .*Operation not permitted/,
  'raw-socket':
    /SYN-ACK capture could not start \(run the worker as root or with CAP_NET_RAW\): cannot open a raw TCP socket: Operation not permitted/,
} as const;

describe.each(['pcap', 'raw-socket'] as const)('createProber (%s capture) without CAP_NET_RAW', (method) => {
  it('rejects with a message that says what to do', async () => {
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    // As root, drop CAP_NET_RAW for the child; as anyone else it is missing anyway.
    const [command, ...args] =
      process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw', ...node] : node;
    const { stdout } = await promisify(execFile)(command!, args, {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      timeout: 60_000,
      env: { ...process.env, OSFP_CAPTURE_METHOD: method },
    });
    expect(stdout).toMatch(MESSAGES[method]);
  }, 70_000);
});
