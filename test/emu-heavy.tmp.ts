import { spawn } from 'node:child_process';
import { loadOsDb, requireFingerprint, runningPlan, emulatedHost } from '@osfp/lab';
import { matchesExpression } from '../packages/lab/src/emulator/expressions.ts';
const plan = await runningPlan({ prefix: 'emu' });
const db = loadOsDb();
const per = Number(process.argv[2] ?? 32);
const hosts = plan.emulated.flatMap((o) => Array.from({ length: per }, (_, n) => ({ ip: emulatedHost(o.index, 500 + n * 3), fp: requireFingerprint(db, o.fingerprint), slug: o.slug })));
hosts.sort((a, b) => a.ip.localeCompare(b.ip));
const batches: typeof hosts[] = []; for (let i = 0; i < hosts.length; i += 16) batches.push(hosts.slice(i, i + 16));
const run = (b: typeof hosts) => new Promise<string>((res) => { let out = ''; const c = spawn('ip', ['netns','exec','emu-scan','nmap','-O','--osscan-guess','--max-os-tries','1','-Pn','-n','-T4','-p','T:80,1','--min-hostgroup','16','-d','-oX','-', ...b.map(h=>h.ip)]); c.stdout.on('data', d => out += d); c.on('close', () => res(out)); });
let next = 0; const outs: string[] = [];
await Promise.all(Array.from({ length: 16 }, async () => { while (next < batches.length) { const b = batches[next++]!; outs.push(await run(b)); } }));
const bad = new Map<string, number>(); let miss = 0;
for (const xml of outs) for (const hm of xml.matchAll(/<host [\s\S]*?<\/host>/g)) {
  const ip = /addr="([\d.]+)"/.exec(hm[0])![1]; const h = hosts.find(x => x.ip === ip)!;
  const fpt = /osfingerprint fingerprint="([^"]*)"/.exec(hm[0])?.[1]?.replace(/&#xa;/g, '\n').split('\n').map(l => l.replace(/^OS:/, '')).join('') ?? '';
  const first = /osmatch name="([^"]*)" accuracy="(\d+)"/.exec(hm[0]);
  const list: string[] = [];
  for (const m of fpt.matchAll(/([A-Z0-9]+)\(([^)]*)\)/g)) { const t = h.fp.tests.get(m[1] as any); if (!t) continue; for (const kv of m[2]!.split('%')) { const [k, v = ''] = kv.split('='); const e = t.get(k!); if (e !== undefined && !matchesExpression(v, e)) list.push(`${m[1]}.${k}`); } }
  if (list.length) { miss++; for (const l of list) bad.set(`${h.slug} ${l}`, (bad.get(`${h.slug} ${l}`) ?? 0) + 1); }
  if (first?.[1] !== h.fp.name || list.some(l => l.includes('SS'))) console.log(h.slug, ip, first?.[1], first?.[2], list.join(','), /SEQ\([^)]*\)/.exec(fpt)?.[0]);
}
console.log('hosts', hosts.length, 'imperfect', miss); console.log([...bad].sort((a,b)=>b[1]-a[1]).slice(0,30));
