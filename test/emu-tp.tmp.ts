import { emulatedHost, personalityHost } from '@osfp/lab';
import { probeInNamespace } from './support/index.ts';
const n = Number(process.argv[3] ?? 1000);
const side = process.argv[2];
const targets = side === 'emu' ? Array.from({ length: n }, (_, i) => ({ ip: emulatedHost(i % 9, 600 + Math.floor(i / 9)), port: 80 })) : Array.from({ length: n }, (_, i) => ({ ip: personalityHost(i % 4, 5000 + Math.floor(i / 4)), port: 80 }));
const r = await probeInNamespace('emu-scan', targets, { timeoutMs: 5000, concurrency: 256, userAgent: 'x' });
const rtts = r.outcomes.map(o => o.rtt_ms ?? -1).sort((a, b) => a - b);
console.log(r.outcomes.filter(o => o.probe_status !== 'success').map(o => o.ip + ' ' + o.probe_status + ' ' + o.rtt_ms).join('; '));
console.log(side, (n / (r.elapsedMs / 1000)).toFixed(0), '/s', JSON.stringify(r.capture), 'rtt p50', rtts[n >> 1], 'p90', rtts[Math.floor(n * 0.9)], 'statuses', JSON.stringify(r.outcomes.reduce((m: Record<string, number>, o) => ({ ...m, [o.probe_status]: (m[o.probe_status] ?? 0) + 1 }), {})));
