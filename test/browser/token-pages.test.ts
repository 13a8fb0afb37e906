/**
 * A page opened by its address (a bookmark, a link from a colleague) before the API token is
 * typed: every read it made was refused with a 401. Once the token is saved in the form, the page
 * shows its data without a reload or a click (it was empty until then: a newcomer's first sight
 * of the desk, the report, the flow tests and the webhooks). Headless Chromium against the real server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, waitForText } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const SLOW = 60_000;
const ADMIN = 'pages-admin-token';

describe('pages opened before the token is typed (Chromium)', () => {
  let browser: Browser;
  let server: ServerProcess;
  let dir: string;
  let endpointId: string;

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callflow-browser-token-pages-'));
    server = await startServer({
      DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`,
      API_TOKENS: `${ADMIN}:admin`,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    browser = await launchChromium();
    // Nothing listens there: the page only has to list the endpoint.
    endpointId = String((await post('/v1/webhooks', { url: 'http://127.0.0.1:9/hooks', description: 'CRM' })).id);
    await post('/v1/calls', { callId: 'pages-1' });
    await post('/v1/calls/pages-1/events', { type: 'customer.unknown-topic', data: { topic: 'ипотека на дачу' } });
  }, SLOW);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Opens the tab's address with no token, sees it refused, types the token in the form, then
   * waits for what `loaded` looks for. The only console errors allowed are the 401s before it.
   */
  async function openedBeforeTheToken(tab: string, loaded: (page: Page) => Promise<unknown>): Promise<void> {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/#tab=${tab}`);
    await page.waitForSelector('#token-form:not([hidden])');
    await waitForText(page, '#alerts .alert strong', /\(401\)/);
    await page.fill('#token-input', ADMIN);
    await page.click('#token-form button[type="submit"]');
    await loaded(page);
    await page.close();
    expect(errors.every((e) => /status of 401/.test(e))).toBe(true);
  }

  it(
    'webhooks: the endpoint is listed',
    () =>
      openedBeforeTheToken('webhooks', (page) =>
        waitForText(page, `section.webhook[data-endpoint="${endpointId}"] h2`, 'http://127.0.0.1:9/hooks'),
      ),
    SLOW,
  );

  it(
    'the supervisor desk: its stream goes live and the open escalation is listed',
    () =>
      openedBeforeTheToken('supervisor', async (page) => {
        await waitForText(page, '#escalations-stream', 'онлайн');
        await waitForText(page, '#escalation-queue .escalation-topic', 'ипотека на дачу');
      }),
    SLOW,
  );

  it(
    'the adherence report: the table has the call',
    () =>
      openedBeforeTheToken('reports', async (page) => {
        await page.waitForSelector('#reports-view[data-loaded]', { state: 'attached', timeout: 15_000 });
        // The totals row: its first figure is the calls started in the period.
        await waitForText(page, '#adherence-table tfoot tr td:nth-of-type(1)', '1');
      }),
    SLOW,
  );

  it(
    'the flow-test page: the shipped scenarios and the current script version are offered',
    () =>
      openedBeforeTheToken('try', async (page) => {
        await expect.poll(() => page.locator('#try-scenario option').count(), { timeout: 15_000 }).toBeGreaterThan(1);
        await waitForText(page, '#try-script option[value="current"]', /\(v\d+\)/);
      }),
    SLOW,
  );
});
