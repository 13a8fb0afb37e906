import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const TYPES = `('call.hold', 'call.unhold', 'hold.check', 'customer.repeat-request', 'customer.cannot-hear', 'customer.inaudible', 'customer.profanity', 'customer.unknown-topic', 'customer.contact-refused')`;
const W = `(type IN ${TYPES} OR status = 'ended')`;
if (process.argv[2]==='mk') { db.exec('DROP INDEX IF EXISTS history_adherence; DROP INDEX IF EXISTS history_kind;');
 let t=performance.now(); db.exec(`CREATE INDEX history_adherence ON history (call_id, seq, type, source, status, at, prompts) WHERE ${W}`); console.log('index', performance.now()-t);
 db.exec('ANALYZE'); }
const run=(name,q,params=[from,to])=>{ console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(...params).map(r=>r.detail).join(' | '));
  for (let i=0;i<3;i++){ const t=performance.now(); const rows=db.prepare(q).all(...params); console.log(name,(performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }};
const key = process.argv[3]==='day' ? 'c.created_at / 86400000' : 'c.operator_id';
const PER = `SELECT call_id,
  SUM(type = 'call.hold') AS holds,
  SUM(type = 'hold.check' AND source = 'timer') AS hold_checks,
  SUM(type = 'customer.repeat-request' AND prompts LIKE '%"repeat.answer"%') AS ra,
  SUM(type = 'customer.repeat-request' AND prompts LIKE '%"repeat.limit"%') AS rl,
  SUM(type IN ('customer.cannot-hear', 'customer.inaudible') AND prompts LIKE '%"connection.call-back"%') AS cl,
  SUM(type = 'customer.profanity' AND prompts LIKE '%"profanity.warning"%') AS pw,
  SUM(type = 'customer.profanity' AND prompts LIKE '%"profanity.termination"%') AS pt,
  SUM(type = 'customer.unknown-topic') AS esc,
  SUM(type = 'customer.contact-refused' AND prompts LIKE '%"reassure.skip-contact"%') AS sk
  FROM history WHERE ${W} AND at >= ? GROUP BY call_id`;
run('perscan', `SELECT COUNT(*), SUM(holds) FROM (${PER}) WHERE ? > 0`);
const HOLDS = `SELECT call_id, MAX(closed - at) AS longest FROM (SELECT call_id, type, at, LEAD(at) OVER (PARTITION BY call_id ORDER BY seq) AS closed FROM history WHERE ${W} AND (type IN ('call.hold', 'call.unhold') OR status = 'ended') AND at >= ?) WHERE type = 'call.hold' GROUP BY call_id`;
run('holdscan', `SELECT COUNT(*), MAX(longest) FROM (${HOLDS}) WHERE ? > 0`);
run('all', `WITH p AS (${PER}), hd AS (${HOLDS})
 SELECT ${key} AS k, COUNT(*) calls, SUM(p.holds), SUM(p.hold_checks), SUM(p.ra), SUM(p.rl), SUM(p.cl), SUM(p.pw), SUM(p.pt), SUM(p.esc), SUM(p.sk), MAX(hd.longest) FROM calls c LEFT JOIN p ON p.call_id = c.call_id LEFT JOIN hd ON hd.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? GROUP BY 1`, [from, from, from, to]);
