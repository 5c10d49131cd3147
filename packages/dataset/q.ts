import { DuckDBInstance } from '@duckdb/node-api';
const [dir, run, mem, what] = process.argv.slice(2);
const i = await DuckDBInstance.create(':memory:', { memory_limit: mem!, threads: '1', temp_directory: '/tmp/prof/spill' });
const c = await i.connect();
const src = `read_parquet('${dir}/rows/*/*.parquet', union_by_name=true)`;
const t = performance.now();
const sqls: Record<string, string> = {
  sortcount: `SELECT count(*) FROM (SELECT * FROM ${src} ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses)`,
  copy: `COPY (SELECT * FROM ${src} WHERE run_id = '${run}' ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE 16384)`,
  copynodom: `COPY (SELECT * EXCLUDE (domains) FROM ${src} WHERE run_id = '${run}' ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE 16384)`,
  copyrowid: `COPY (SELECT s.* FROM (SELECT filename, file_row_number, ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses FROM read_parquet('${dir}/rows/*/*.parquet', union_by_name=true, filename=true, file_row_number=true) ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) k JOIN read_parquet('${dir}/rows/*/*.parquet', union_by_name=true, filename=true, file_row_number=true) s USING (filename, file_row_number)) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE 16384)`,
  sortcsv: `COPY (SELECT * FROM ${src} WHERE run_id = '${run}' ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.csv'`,
  sortrg: `COPY (SELECT * FROM ${src} WHERE run_id = '${run}' ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
  rgbytes: `COPY (SELECT * FROM ${src} WHERE run_id = '${run}' ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE_BYTES '4MB')`,
  rg8k: `COPY (SELECT * FROM ${src} WHERE run_id = '${run}' ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE 8192)`,
  count: `SELECT count(*) FROM ${src}`,
  sortkeys: `COPY (SELECT ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses FROM ${src} ORDER BY ip, port, run_id, probed_at, batch_id, p0f_sig, label, nmap_guesses) TO '/tmp/prof/x.csv'`,
  copynosort: `COPY (SELECT * FROM ${src}) TO '/tmp/prof/x.parquet' (FORMAT parquet, ROW_GROUP_SIZE 16384)`,
};
try { await c.run(sqls[what!]!); console.log(what, 'ok', ((performance.now() - t) / 1000).toFixed(2), 's', 'maxrss', process.resourceUsage().maxRSS / 1024 | 0); }
catch (e) { console.log(what, 'FAIL', String(e).slice(0, 120)); }
