/**
 * npm run demo: plays two whole calls against a running service and prints every prompt: one
 * driven by events, one by the customer's words (transcript suggestions, SPEC §12), where the
 * operator confirms the top suggestion as a console user would with one key.
 *   BASE_URL (default http://127.0.0.1:3000), API_TOKEN (when the service has API_TOKENS).
 */
const base = (process.env.BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const headers: Record<string, string> = { 'content-type': 'application/json' };
if (process.env.API_TOKEN) headers.authorization = `Bearer ${process.env.API_TOKEN}`;

type Prompt = { key: string; text: string; instruction: string | null };
type View = {
  version: number;
  state: string | string[];
  prompts: Prompt[];
  counters: Record<string, number>;
  status: string;
  endReason: string | null;
};

async function call(method: string, path: string, body?: unknown): Promise<View> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as View & { detail?: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.detail ?? JSON.stringify(json)}`);
  return json;
}

function show(label: string, view: View) {
  const state = Array.isArray(view.state) ? view.state.join(' | ') : view.state;
  console.log(`\n▶ ${label}  (v${view.version}, ${state})`);
  for (const p of view.prompts) {
    console.log(`  «${p.text}»`);
    if (p.instruction) console.log(`    ↳ ${p.instruction}`);
  }
  if (view.status === 'ended') console.log(`  ■ call ended: ${view.endReason}`);
}

/** Waits for the next change pushed on the call's stream (the timer-driven hold check). */
async function nextStreamedView(callId: string, afterVersion: number, timeoutMs: number): Promise<View> {
  const res = await fetch(`${base}/v1/calls/${callId}/stream`, {
    headers: { ...headers, 'last-event-id': String(afterVersion) },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const reader = res.body!.getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream closed');
    buffer += new TextDecoder().decode(value);
    const match = /event: call\ndata: (.*)\n\n/.exec(buffer);
    if (match?.[1]) {
      await reader.cancel();
      return JSON.parse(match[1]) as View;
    }
  }
}

type Suggestion = {
  type: string;
  data?: Record<string, string>;
  confidence: number;
  evidence: string[];
  applied?: true;
};

/** The second call: customer lines in, suggestions out; the top one confirmed, as with Enter in the console. */
async function transcriptCall() {
  const callId = `demo-transcript-${Date.now()}`;
  let seq = 0;
  const send = (type: string, data?: object) =>
    call('POST', `/v1/calls/${callId}/events`, { type, id: `${callId}-${++seq}`, ...(data ? { data } : {}) });
  const say = async (text: string) => {
    const res = await fetch(`${base}/v1/calls/${callId}/utterances`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ speaker: 'customer', text, id: `${callId}-line-${++seq}` }),
    });
    const heard = (await res.json()) as { suggestions: Suggestion[]; applied?: View; detail?: string };
    if (!res.ok) throw new Error(`utterance: ${res.status} ${heard.detail}`);
    console.log(`\n🗣  «${text}»`);
    for (const s of heard.suggestions) {
      const data = s.data ? ` ${JSON.stringify(s.data)}` : '';
      console.log(`   ${s.applied ? '✔ applied' : '?'} ${s.type}${data}  ${s.confidence}  [${s.evidence.join(' ')}]`);
    }
    if (heard.applied) return show('applied at once (AUTO_APPLY)', heard.applied);
    const top = heard.suggestions.find((s) => s.confidence >= 0.5);
    if (top) show(`operator confirms ${top.type}`, await send(top.type, top.data));
  };

  console.log("\n════ a call driven by the customer's words ════");
  show('call starts', await call('POST', '/v1/calls', { callId }));
  await say('здравствуйте меня зовут анна сергеевна');
  await say('а вы вообще где находитесь');
  show('call.hold (operator)', await send('call.hold'));
  await say('алло вы тут');
  show('call.unhold (operator)', await send('call.unhold'));
  await say('я не гражданин россии');
  await say('ну давайте по почте');
  await say('только телефон не хочу давать');
  await say('карточки в газете нет');
  await say('да это пиздец какой-то');
  await say('ну и хуйня');
  console.log(`\nHistory: ${base}/v1/calls/${callId}/history`);
}

async function main() {
  const machine = (await (await fetch(`${base}/v1/machine`, { headers })).json()) as {
    limits: { holdCheckSeconds: number };
  };
  const callId = `demo-${Date.now()}`;
  let seq = 0;
  const send = (type: string, data?: object) =>
    call('POST', `/v1/calls/${callId}/events`, { type, id: `${callId}-${++seq}`, ...(data ? { data } : {}) });

  show('call starts', await call('POST', '/v1/calls', { callId }));
  show('customer.identified', await send('customer.identified', { firstName: 'Иван', patronymic: 'Петрович' }));
  show('customer.location-question', await send('customer.location-question'));
  const held = await send('call.hold');
  show('call.hold', held);
  console.log(`\n… waiting ${machine.limits.holdCheckSeconds} s for the hold check (HOLD_CHECK_SECONDS)`);
  show(
    'hold.check (timer)',
    await nextStreamedView(callId, held.version, (machine.limits.holdCheckSeconds + 10) * 1000),
  );
  show('call.unhold', await send('call.unhold'));
  show('answer.given', await send('answer.given'));
  for (let i = 1; i <= 4; i++) show(`customer.repeat-request #${i}`, await send('customer.repeat-request'));
  console.log(`\nHistory: ${base}/v1/calls/${callId}/history`);
  await transcriptCall();
}

main().catch((error) => {
  console.error(`demo failed: ${(error as Error).message}\nIs the service running? Start it with: npm start`);
  process.exit(1);
});
