import { loadOsDb, findFingerprint } from './src/emulator/os-db.ts';
import { chooseProfiles } from './src/emulator/host-profile.ts';
const db = loadOsDb();
const cls = (f: any) => { const c = f.classes[0]; if (c.family==='embedded' || c.type!=='general purpose') return 'embedded'; return c.family+' '+c.gen; };
for (const n of ['Microsoft Windows Server 2016','Microsoft Windows Server 2012','FreeBSD 6.2-RELEASE','Linux 2.6.32','Linux 3.2','Linux 4.4','Linux 5.4','OpenBSD 4.3','2N Helios IP VoIP doorbell']) {
  const f = findFingerprint(db,n)!; const t=Date.now(); const c = chooseProfiles(f, db, cls);
  console.log(n, Date.now()-t, 'ms', JSON.stringify(c.scores), JSON.stringify(c.profiles[0]?.isn));
}
