import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const TYPES = `('call.hold','call.unhold','hold.check','customer.repeat-request','customer.cannot-hear','customer.inaudible','customer.profanity','customer.unknown-topic','customer.contact-refused')`;
const run=(name,q)=>{ console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(from,to).map(r=>r.detail).join(' | '));
  for (let i=0;i<2;i++){ const t=performance.now(); const rows=db.prepare(q).all(from,to); console.log(name,(performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }};
run('floor', `SELECT c.operator_id AS k, COUNT(*) n FROM calls c JOIN history h ON h.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? AND (h.type IN ${TYPES} OR h.status = 'ended') GROUP BY k`);
run('callsonly', `SELECT c.operator_id AS k, COUNT(*) n FROM calls c WHERE c.created_at >= ? AND c.created_at < ? GROUP BY k`);
run('q1cov', `SELECT c.operator_id AS k, json_extract(snapshot, '$.context.endReason') AS reason, COUNT(*) n FROM calls c WHERE c.created_at >= ? AND c.created_at < ? GROUP BY k, reason`);
run('scanh', `SELECT COUNT(*) n, ?+? FROM history h INDEXED BY history_adherence WHERE (h.type IN ${TYPES} OR h.status = 'ended')`);
run('combined', `SELECT k, SUM(CASE WHEN type = 'call.hold' THEN 1 ELSE 0 END) AS holds,
 SUM(CASE WHEN type = 'hold.check' AND source = 'timer' THEN 1 ELSE 0 END) AS hold_checks,
 SUM(CASE WHEN type = 'customer.repeat-request' AND prompts LIKE '%"repeat.answer"%' THEN 1 ELSE 0 END) AS ra,
 SUM(CASE WHEN type = 'customer.repeat-request' AND prompts LIKE '%"repeat.limit"%' THEN 1 ELSE 0 END) AS rl,
 SUM(CASE WHEN type IN ('customer.cannot-hear','customer.inaudible') AND prompts LIKE '%"connection.call-back"%' THEN 1 ELSE 0 END) AS cl,
 SUM(CASE WHEN type = 'customer.profanity' AND prompts LIKE '%"profanity.warning"%' THEN 1 ELSE 0 END) AS pw,
 SUM(CASE WHEN type = 'customer.profanity' AND prompts LIKE '%"profanity.termination"%' THEN 1 ELSE 0 END) AS pt,
 SUM(CASE WHEN type = 'customer.unknown-topic' THEN 1 ELSE 0 END) AS esc,
 SUM(CASE WHEN type = 'customer.contact-refused' AND prompts LIKE '%"reassure.skip-contact"%' THEN 1 ELSE 0 END) AS sk,
 MAX(CASE WHEN type = 'call.hold' THEN COALESCE(hold_end, updated_at) - at END) AS longest
 FROM (SELECT c.operator_id AS k, c.updated_at, h.type, h.source, h.prompts, h.at,
   MIN(CASE WHEN h.type = 'call.unhold' OR h.status = 'ended' THEN h.at END) OVER (PARTITION BY h.call_id ORDER BY h.seq ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS hold_end
   FROM calls c JOIN history h ON h.call_id = c.call_id
   WHERE c.created_at >= ? AND c.created_at < ? AND (h.type IN ${TYPES} OR h.status = 'ended')) x GROUP BY k`);
