import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const TYPES = `('call.hold', 'call.unhold', 'hold.check', 'customer.repeat-request', 'customer.cannot-hear', 'customer.inaudible', 'customer.profanity', 'customer.unknown-topic', 'customer.contact-refused')`;
const W = `(h.type IN ${TYPES} OR h.status = 'ended')`;
const run=(name,q,params=[from,to])=>{ console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(...params).map(r=>r.detail).join(' | '));
  for (let i=0;i<3;i++){ const t=performance.now(); const rows=db.prepare(q).all(...params); console.log(name,(performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }};
const key = process.argv[2]==='day' ? 'c.created_at / 86400000' : 'c.operator_id';
const CAT = `CASE h.type WHEN 'call.hold' THEN 'hold' WHEN 'hold.check' THEN (CASE WHEN h.source = 'timer' THEN 'hold-check' END) WHEN 'customer.unknown-topic' THEN 'escalation'
  WHEN 'customer.repeat-request' THEN (CASE WHEN h.prompts LIKE '%"repeat.limit"%' THEN 'repeat-limit' WHEN h.prompts LIKE '%"repeat.answer"%' THEN 'repeat-answer' END)
  WHEN 'customer.profanity' THEN (CASE WHEN h.prompts LIKE '%"profanity.termination"%' THEN 'profanity-termination' WHEN h.prompts LIKE '%"profanity.warning"%' THEN 'profanity-warning' END)
  WHEN 'customer.contact-refused' THEN (CASE WHEN h.prompts LIKE '%"reassure.skip-contact"%' THEN 'skipped-contact' END)
  WHEN 'customer.cannot-hear' THEN (CASE WHEN h.prompts LIKE '%"connection.call-back"%' THEN 'connection-lost' END)
  WHEN 'customer.inaudible' THEN (CASE WHEN h.prompts LIKE '%"connection.call-back"%' THEN 'connection-lost' END) END`;
run('cat', `SELECT ${key} AS k, ${CAT} AS cat, COUNT(*) AS n FROM calls c JOIN history h ON h.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? AND ${W} GROUP BY 1, 2`);
run('hold', `SELECT k, MAX(COALESCE(closed, updated_at) - at) FROM (SELECT ${key} AS k, c.updated_at, h.type, h.at, LEAD(h.at) OVER (PARTITION BY h.call_id ORDER BY h.seq) AS closed FROM calls c JOIN history h ON h.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? AND ${W} AND (h.type IN ('call.hold', 'call.unhold') OR h.status = 'ended')) WHERE type = 'call.hold' GROUP BY 1`);
run('holdcorr', `SELECT ${key} AS k, MAX(COALESCE((SELECT MIN(e.at) FROM history e WHERE e.call_id = h.call_id AND e.seq > h.seq AND (e.type IN ${TYPES} OR e.status = 'ended') AND (e.type = 'call.unhold' OR e.status = 'ended')), c.updated_at) - h.at) FROM calls c JOIN history h ON h.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? AND ${W} AND h.type = 'call.hold' GROUP BY 1`);
