import { labStatus, labUp } from '@osfp/lab';
const st = await labStatus({ prefix: 'emu' });
for (const p of st.processes) if (p.name.startsWith('emu-')) process.kill(p.pid, 'SIGTERM');
await new Promise((r) => setTimeout(r, 1000));
const t = Date.now(); await labUp({ prefix: 'emu' }); console.log('restarted responders in', Date.now() - t, 'ms');
console.log((await labStatus({ prefix: 'emu' })).processes.filter(p => p.name.startsWith('emu-')).map(p => p.name + ':' + p.alive).join(' '));
