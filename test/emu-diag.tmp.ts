import { execFileSync } from 'node:child_process';
import { loadOsDb, requireFingerprint } from '@osfp/lab';
import { matchesExpression } from '../packages/lab/src/emulator/expressions.ts';
const [prefix, fpName, ...ips] = process.argv.slice(2);
const db = loadOsDb(); const fp = requireFingerprint(db, fpName!);
for (const ip of ips) {
  const out = execFileSync('ip', ['netns','exec',`${prefix}-scan`,'nmap','-O','--osscan-guess','--max-os-tries','1','-Pn','-n','-T4','-p','T:80,1','-d',ip], { encoding: 'utf8' });
  const fpText = out.split('\n').filter(l => l.startsWith('OS:')).map(l => l.slice(3)).join('');
  const guess = out.split('\n').find(l => /OS details|Aggressive/.test(l));
  const bad: string[] = [];
  for (const m of fpText.matchAll(/([A-Z0-9]+)\(([^)]*)\)/g)) {
    const test = fp.tests.get(m[1] as any); if (!test) continue;
    for (const kv of m[2]!.split('%')) { const [k, v = ''] = kv.split('='); const e = test.get(k!); if (e !== undefined && !matchesExpression(v, e)) bad.push(`${m[1]}.${k}=${v} want ${e}`); }
  }
  console.log(ip, guess, '\n   mismatches:', bad.join('; '));
}
