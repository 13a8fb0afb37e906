import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const KIND = `(CASE WHEN type = 'call.hold' THEN 1 WHEN type = 'call.unhold' THEN 2 WHEN type = 'hold.check' THEN (CASE WHEN source = 'timer' THEN 3 END) WHEN type = 'customer.unknown-topic' THEN 4 WHEN prompts LIKE '%"repeat.answer"%' THEN 5 WHEN prompts LIKE '%"repeat.limit"%' THEN 6 WHEN prompts LIKE '%"connection.call-back"%' THEN 7 WHEN prompts LIKE '%"profanity.warning"%' THEN 8 WHEN prompts LIKE '%"profanity.termination"%' THEN 9 WHEN prompts LIKE '%"reassure.skip-contact"%' THEN 10 WHEN status = 'ended' THEN 11 END)`;
if (process.argv[2]==='mk') { db.exec('DROP INDEX IF EXISTS history_adherence; DROP INDEX IF EXISTS history_kind;');
 let t=performance.now(); db.exec(`CREATE INDEX history_kind ON history (call_id, seq, ${KIND}, at) WHERE ${KIND} IS NOT NULL`); console.log('index', performance.now()-t);
 db.exec(`DROP INDEX IF EXISTS calls_by_start; CREATE INDEX calls_by_start ON calls (created_at, operator_id, json_extract(snapshot, '$.context.endReason'), call_id, updated_at)`);
 db.exec('ANALYZE'); }
const run=(name,q,params=[from,to])=>{ console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(...params).map(r=>r.detail).join(' | '));
  for (let i=0;i<2;i++){ const t=performance.now(); const rows=db.prepare(q).all(...params); console.log(name,(performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }};
const W = `${KIND} IS NOT NULL`;
run('q1', `SELECT operator_id AS k, json_extract(snapshot, '$.context.endReason') AS reason, COUNT(*) n FROM calls WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`);
run('kindscan', `SELECT ${KIND} AS kind, COUNT(*) FROM history WHERE ${W} AND at >= ? AND ? > 0 GROUP BY 1`);
run('joinkind', `SELECT c.operator_id AS k, SUM(${KIND} = 1), SUM(${KIND} = 3), SUM(${KIND} = 5), SUM(${KIND} = 6), SUM(${KIND} = 7), SUM(${KIND} = 8), SUM(${KIND} = 9), SUM(${KIND} = 4), SUM(${KIND} = 10) FROM calls c JOIN history h ON h.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? AND ${W} GROUP BY 1`);
run('percallkind', `SELECT count(*), sum(a) FROM (SELECT call_id, SUM(${KIND} = 1) a, SUM(${KIND} = 3), SUM(${KIND} = 5), SUM(${KIND} = 6), SUM(${KIND} = 7), SUM(${KIND} = 8), SUM(${KIND} = 9), SUM(${KIND} = 4), SUM(${KIND} = 10) FROM history WHERE ${W} AND at >= ? AND ? > 0 GROUP BY call_id)`);
run('leadkind', `SELECT COUNT(*), MAX(d) FROM (SELECT ${KIND} AS kind, LEAD(at) OVER (PARTITION BY call_id ORDER BY seq) - at AS d FROM history WHERE ${W} AND (${KIND} IN (1, 2) OR status = 'ended') AND at >= ? AND ? > 0) WHERE kind = 1`);
