/**
 * The webhooks page (SPEC §7, issue #11's console item) in headless Chromium against the real
 * server process: an endpoint whose receiver failed a message shows it as failed with a retry
 * button; pressing it sends the message again and the row turns delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/api.js';
import { type Browser, launchChromium, openPage, waitForText } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';
import { type Receiver, startReceiver } from '../support/webhook-receiver.js';

const SLOW = 60_000;

describe('webhooks page (Chromium)', () => {
  let browser: Browser;
  let server: ServerProcess;
  let receiver: Receiver;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callflow-browser-webhooks-'));
    receiver = await startReceiver();
    receiver.answer(() => ({ status: 500 }));
    server = await startServer({
      DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0.1',
    });
    browser = await launchChromium();
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'lists the endpoint and its deliveries; a failed one is sent again by its button',
    async () => {
      const created = await fetch(`${server.url}/v1/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, types: ['call.created'], description: 'CRM' }),
      });
      expect(created.status).toBe(201);
      const endpoint = (await created.json()) as { id: string; secret: string };
      receiver.setSecret(endpoint.secret);
      await fetch(`${server.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ callId: 'hooked-1' }),
      });
      await until(async () => {
        const log = await (await fetch(`${server.url}/v1/webhooks/${endpoint.id}/deliveries?status=failed`)).json();
        return (log as { deliveries: unknown[] }).deliveries.length === 1;
      });

      const { page, errors } = await openPage(browser, `${server.url}/#tab=webhooks`);
      const card = `section.webhook[data-endpoint="${endpoint.id}"]`;
      await waitForText(page, `${card} h2`, receiver.url);
      const row = `${card} tr[data-status]`;
      await waitForText(page, `${row} td.delivery-status`, 'не доставлено');
      await waitForText(page, `${row} td:nth-child(3)`, 'hooked-1');
      await waitForText(page, `${row} td:nth-child(5)`, '2');
      await waitForText(page, `${row} td:nth-child(6)`, '500');

      receiver.answer(() => ({ status: 204 }));
      await page.click(`${row} button.retry`);
      await until(() => receiver.received.length >= 3, { message: 'the message sent again' });
      // The page shows the retried message as pending or, once its answer is in, delivered.
      await page.click('#refresh-webhooks');
      await page.waitForSelector(`${card} tr[data-status="delivered"]`, { timeout: 15_000 }).catch(async () => {
        await page.click('#refresh-webhooks');
        await page.waitForSelector(`${card} tr[data-status="delivered"]`, { timeout: 15_000 });
      });
      await waitForText(page, `${card} tr[data-status="delivered"] td:nth-child(5)`, '3');
      expect(await page.locator(`${card} button.retry`).count()).toBe(0);
      expect(receiver.unverified).toEqual([]);
      expect(errors).toEqual([]);
    },
    SLOW,
  );
});
