import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const TYPES = `('call.hold','call.unhold','hold.check','customer.repeat-request','customer.cannot-hear','customer.inaudible','customer.profanity','customer.unknown-topic','customer.contact-refused')`;
const run=(name,q,params=[from,to])=>{ console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(...params).map(r=>r.detail).join(' | '));
  for (let i=0;i<2;i++){ const t=performance.now(); const rows=db.prepare(q).all(...params); console.log(name,(performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }};
const FIG = `SUM(CASE WHEN h.type = 'call.hold' THEN 1 ELSE 0 END) AS holds,
 SUM(CASE WHEN h.type = 'hold.check' AND h.source = 'timer' THEN 1 ELSE 0 END) AS hold_checks,
 SUM(CASE WHEN h.type = 'customer.repeat-request' AND h.prompts LIKE '%"repeat.answer"%' THEN 1 ELSE 0 END) AS ra,
 SUM(CASE WHEN h.type = 'customer.repeat-request' AND h.prompts LIKE '%"repeat.limit"%' THEN 1 ELSE 0 END) AS rl,
 SUM(CASE WHEN h.type IN ('customer.cannot-hear','customer.inaudible') AND h.prompts LIKE '%"connection.call-back"%' THEN 1 ELSE 0 END) AS cl,
 SUM(CASE WHEN h.type = 'customer.profanity' AND h.prompts LIKE '%"profanity.warning"%' THEN 1 ELSE 0 END) AS pw,
 SUM(CASE WHEN h.type = 'customer.profanity' AND h.prompts LIKE '%"profanity.termination"%' THEN 1 ELSE 0 END) AS pt,
 SUM(CASE WHEN h.type = 'customer.unknown-topic' THEN 1 ELSE 0 END) AS esc,
 SUM(CASE WHEN h.type = 'customer.contact-refused' AND h.prompts LIKE '%"reassure.skip-contact"%' THEN 1 ELSE 0 END) AS sk`;
run('percall', `SELECT COUNT(*), SUM(holds) FROM (SELECT h.call_id, ${FIG} FROM history h WHERE (h.type IN ${TYPES} OR h.status = 'ended') AND h.at >= ? AND ? > 0 GROUP BY h.call_id)`);
run('lead', `SELECT COUNT(*), MAX(d) FROM (SELECT type, LEAD(at) OVER (PARTITION BY call_id ORDER BY seq) - at AS d FROM history h WHERE (h.type IN ('call.hold','call.unhold') OR h.status = 'ended') AND h.at >= ? AND ? > 0) WHERE type = 'call.hold'`);
run('minframe', `SELECT COUNT(*), MAX(e - at) FROM (SELECT type, at, MIN(CASE WHEN type = 'call.unhold' OR status = 'ended' THEN at END) OVER (PARTITION BY call_id ORDER BY seq ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS e FROM history h WHERE (h.type IN ${TYPES} OR h.status = 'ended') AND h.at >= ? AND ? > 0) WHERE type = 'call.hold'`);
run('full', `WITH per_call AS (SELECT h.call_id, ${FIG} FROM history h WHERE (h.type IN ${TYPES} OR h.status = 'ended') AND h.at >= ? GROUP BY h.call_id),
 holds AS (SELECT call_id, MAX(d) AS longest FROM (SELECT call_id, type, LEAD(at) OVER (PARTITION BY call_id ORDER BY seq) - at AS d FROM history h WHERE (h.type IN ('call.hold','call.unhold') OR h.status = 'ended') AND h.at >= ?) WHERE type = 'call.hold' GROUP BY call_id)
 SELECT c.operator_id AS k, COUNT(*) AS calls, SUM(p.holds) holds, SUM(p.hold_checks) hc, SUM(p.ra) ra, SUM(p.rl) rl, SUM(p.cl) cl, SUM(p.pw) pw, SUM(p.pt) pt, SUM(p.esc) esc, SUM(p.sk) sk, MAX(COALESCE(hd.longest, 0)) lh
 FROM calls c LEFT JOIN per_call p ON p.call_id = c.call_id LEFT JOIN holds hd ON hd.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? GROUP BY k`, [from, from, from, to]);
