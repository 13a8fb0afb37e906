import Database from 'better-sqlite3';
const db = new Database('/tmp/proto/r.db');
const from = Date.UTC(2026,0,1), to = Date.UTC(2026,1,1);
const TYPES = `('call.hold', 'call.unhold', 'hold.check', 'customer.repeat-request', 'customer.cannot-hear', 'customer.inaudible', 'customer.profanity', 'customer.unknown-topic', 'customer.contact-refused')`;
const W = (a) => `(${a}.type IN ${TYPES} OR ${a}.status = 'ended')`;
const run=(name,q,params=[from,to])=>{ console.log(name, db.prepare('EXPLAIN QUERY PLAN '+q).all(...params).map(r=>r.detail).join(' | '));
  for (let i=0;i<4;i++){ const t=performance.now(); const rows=db.prepare(q).all(...params); console.log(name,(performance.now()-t).toFixed(0),'ms', rows.length, JSON.stringify(rows[0])); }};
const key = process.argv[2]==='day' ? 'c.created_at / 86400000' : 'c.operator_id';
run('one', `SELECT ${key} AS k,
  SUM(h.type = 'call.hold') AS holds,
  SUM(h.type = 'hold.check' AND h.source = 'timer') AS hold_checks,
  SUM(h.type = 'customer.repeat-request' AND h.prompts LIKE '%"repeat.answer"%') AS ra,
  SUM(h.type = 'customer.repeat-request' AND h.prompts LIKE '%"repeat.limit"%') AS rl,
  SUM(h.type IN ('customer.cannot-hear', 'customer.inaudible') AND h.prompts LIKE '%"connection.call-back"%') AS cl,
  SUM(h.type = 'customer.profanity' AND h.prompts LIKE '%"profanity.warning"%') AS pw,
  SUM(h.type = 'customer.profanity' AND h.prompts LIKE '%"profanity.termination"%') AS pt,
  SUM(h.type = 'customer.unknown-topic') AS esc,
  SUM(h.type = 'customer.contact-refused' AND h.prompts LIKE '%"reassure.skip-contact"%') AS sk,
  MAX(CASE WHEN h.type = 'call.hold' THEN COALESCE((SELECT MIN(e.at) FROM history e WHERE e.call_id = h.call_id AND e.seq > h.seq AND ${W('e')} AND (e.type = 'call.unhold' OR e.status = 'ended')), c.updated_at) - h.at END) AS lh
 FROM calls c JOIN history h ON h.call_id = c.call_id WHERE c.created_at >= ? AND c.created_at < ? AND ${W('h')} GROUP BY 1`);
run('q1', `SELECT ${key} AS k, json_extract(c.snapshot, '$.context.endReason') AS reason, COUNT(*) n FROM calls c WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`);
