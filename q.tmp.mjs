import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const mode = process.argv[2];
const TYPES = `('call.hold','call.unhold','hold.check','customer.repeat-request','customer.cannot-hear','customer.inaudible','customer.profanity','customer.unknown-topic','customer.contact-refused')`;
db.exec(`DROP INDEX IF EXISTS calls_by_start; DROP INDEX IF EXISTS history_adherence;`);
db.exec(`CREATE INDEX calls_by_start ON calls (created_at, operator_id, status, json_extract(snapshot, '$.context.endReason'), updated_at)`);
if (mode==='partial') db.exec(`CREATE INDEX history_adherence ON history (call_id, seq, type, source, at, status, prompts) WHERE type IN ${TYPES} OR status = 'ended'`);
if (mode==='full') db.exec(`CREATE INDEX history_adherence ON history (call_id, seq, type, source, at, status, prompts)`);
db.exec('ANALYZE');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const key = process.argv[3]==='day' ? 'c.created_at / 86400000' : 'c.operator_id';
const q1 = `SELECT ${key} AS k, json_extract(c.snapshot, '$.context.endReason') AS reason, COUNT(*) AS n FROM calls c WHERE c.created_at >= ? AND c.created_at < ? GROUP BY k, reason`;
const q2 = `SELECT ${key} AS k,
 SUM(CASE WHEN h.type = 'call.hold' THEN 1 ELSE 0 END) AS holds,
 SUM(CASE WHEN h.type = 'hold.check' AND h.source = 'timer' THEN 1 ELSE 0 END) AS hold_checks,
 SUM(CASE WHEN h.prompts LIKE '%"repeat.answer"%' THEN 1 ELSE 0 END) AS ra,
 SUM(CASE WHEN h.prompts LIKE '%"repeat.limit"%' THEN 1 ELSE 0 END) AS rl,
 SUM(CASE WHEN h.prompts LIKE '%"connection.call-back"%' THEN 1 ELSE 0 END) AS cl,
 SUM(CASE WHEN h.prompts LIKE '%"profanity.warning"%' THEN 1 ELSE 0 END) AS pw,
 SUM(CASE WHEN h.prompts LIKE '%"profanity.termination"%' THEN 1 ELSE 0 END) AS pt,
 SUM(CASE WHEN h.type = 'customer.unknown-topic' THEN 1 ELSE 0 END) AS esc,
 SUM(CASE WHEN h.prompts LIKE '%"reassure.skip-contact"%' THEN 1 ELSE 0 END) AS sk
 FROM calls c JOIN history h ON h.call_id = c.call_id
 WHERE c.created_at >= ? AND c.created_at < ? AND (h.type IN ${TYPES} OR h.status = 'ended') GROUP BY k`;
const q3 = `SELECT k, MAX(COALESCE(next_at, updated_at) - at) AS longest FROM (
  SELECT ${key} AS k, c.updated_at, h.type, h.at, LEAD(h.at) OVER (PARTITION BY h.call_id ORDER BY h.seq) AS next_at
  FROM calls c JOIN history h ON h.call_id = c.call_id
  WHERE c.created_at >= ? AND c.created_at < ? AND (h.type IN ('call.hold', 'call.unhold') OR h.status = 'ended')) x
  WHERE type = 'call.hold' GROUP BY k`;
for (const [name,q] of [['q1',q1],['q2',q2],['q3',q3]]) {
  console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(from,to).map(r=>r.detail).join(' | '));
  for (let i=0;i<3;i++){ const t=performance.now(); const rows=db.prepare(q).all(from,to); console.log(name, (performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }
}
