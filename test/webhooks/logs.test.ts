/**
 * SPEC §7 and the brief: no personal data and no secret in the log. A trace-level logger with no
 * redaction (the service's own redaction is off here, so only what the code writes counts) sees
 * a subscription, deliveries that fail with a body quoting the customer, time out, are retried
 * manually, an escalation with its topic, and an endpoint disabled by 410. Neither the customer's
 * name, nor the topic, nor a signing secret is in any line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { apply, until } from '../support/api.js';
import { post } from '../support/app.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

const NAME = { firstName: 'Евлампия', patronymic: 'Феофилактовна' };
const TOPIC = 'кредит под залог дачи в Твери';

describe('webhook logs', () => {
  const lines: string[] = [];
  let app: Awaited<ReturnType<typeof buildApp>>;
  let receiver: Receiver;
  let gone: Receiver;
  const secrets: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    gone = await startReceiver();
    app = await buildApp(
      loadConfig({
        DATABASE_URL: 'sqlite::memory:',
        LOG_LEVEL: 'trace',
        HOLD_CHECK_SECONDS: '600',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_RETRY_SCHEDULE: '0.05',
        WEBHOOK_TIMEOUT_SECONDS: '0.3',
      }),
      { logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } } },
    );
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
    await gone.close();
  });

  it('holds no name, topic or secret, whatever the deliveries went through', async () => {
    for (const r of [receiver, gone]) {
      const res = await post(app, '/v1/webhooks', { url: r.url });
      expect(res.statusCode).toBe(201);
      r.setSecret(res.json().secret);
      secrets.push(res.json().secret);
    }
    gone.answer(() => ({ status: 410, body: `${NAME.firstName}: gone` }));
    // First a 500 quoting the customer, then a hang (timeout): the message fails.
    receiver.answer((n) => (n === 1 ? { status: 500, body: `no ${NAME.firstName} ${TOPIC}` } : { hang: true }));
    const callId = 'logs-1';
    expect((await post(app, '/v1/calls', { callId, customer: NAME })).statusCode).toBe(201);
    const endpoint = (await app.inject({ url: '/v1/webhooks' })).json().webhooks[0].id as string;
    const failed = await until(
      async () =>
        (await app.inject({ url: `/v1/webhooks/${endpoint}/deliveries?status=failed` })).json().deliveries[0] as
          | { id: string }
          | undefined,
      { timeoutMs: 5_000, message: 'the first message failed' },
    );
    receiver.answer(() => ({ status: 200 }));
    expect((await post(app, `/v1/webhooks/${endpoint}/deliveries/${failed.id}/retry`, {})).statusCode).toBe(202);
    await apply(app, callId, { type: 'customer.unknown-topic', data: { topic: TOPIC } });
    await until(() => receiver.received.some((d) => d.message.type === 'escalation.created'), {
      message: 'the escalation delivered',
    });
    await until(async () => (await app.inject({ url: '/v1/webhooks' })).json().webhooks[1].status === 'disabled');
    // A refused subscription, and reads with secrets in their answers.
    expect((await post(app, '/v1/webhooks', { url: 'ftp://example.com/' })).statusCode).toBe(400);
    for (const r of (await app.inject({ url: '/v1/webhooks' })).json().webhooks as { id: string }[]) {
      expect((await app.inject({ url: `/v1/webhooks/${r.id}` })).statusCode).toBe(200);
    }

    expect(receiver.received.some((d) => d.body.includes(NAME.firstName))).toBe(true);
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice('whsec_'.length));
    }
    for (const word of [NAME.firstName, NAME.patronymic, TOPIC, 'Твери']) expect(text).not.toContain(word);
  });
});
