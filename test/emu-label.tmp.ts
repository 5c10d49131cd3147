import { inNamespace, runningPlan, emulatedHost, labTruth } from '@osfp/lab';
import { labelHosts } from '@osfp/labeler';
const plan = await runningPlan({ prefix: process.argv[2] ?? 'emu' });
const per = Number(process.argv[3] ?? 64);
const only = process.argv[4];
const oses = plan.emulated.filter((o) => !only || o.slug.includes(only));
const truth = new Map<string, string>();
for (const r of labTruth({ emulated: oses })) truth.set(r.ip, r.class);
const targets = oses.flatMap((o) => Array.from({ length: per }, (_, n) => ({ ip: emulatedHost(o.index, n * 7 % 1022), openPort: 80, closedPort: 1, slug: o.slug })));
const t = Date.now();
const labels = await labelHosts(targets, { exec: (c, a) => inNamespace(plan.scannerNamespace, c, [...a]) });
console.log('labelled', targets.length, 'in', Date.now() - t, 'ms');
for (const o of oses) {
  const ts = targets.filter((x) => x.slug === o.slug);
  let top1 = 0, top2 = 0; const misses: string[] = [];
  for (const x of ts) { const l = labels.get(x.ip); const want = truth.get(x.ip); if (l?.label === want) top1++; if (l?.label === want || l?.label_2 === want) top2++; else misses.push(`${x.ip}:${l?.label_status}:${l?.label}/${l?.label_2}`); if (l?.label !== want && misses.length < 3) misses.push(`${x.ip} ${l?.label} ${l?.label_acc} ${l?.label_2}`); }
  console.log(o.slug.padEnd(10), truth.get(ts[0]!.ip)?.padEnd(14), `top1 ${top1}/${ts.length} top2 ${top2}/${ts.length}`, misses.slice(0, 4).join(' | '));
}
