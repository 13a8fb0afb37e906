/**
 * The console's transcript box in headless Chromium against the real server process (SPEC §12):
 * a pasted customer line shows its suggestion with the evidence highlighted, Enter applies it;
 * a line on hold is applied at once; suggestions posted by another client (a recogniser)
 * arrive through the call's stream.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUES, renderPrompt } from '../../machines/catalogue.js';
import { type Browser, launchChromium, openPage, press, waitForText } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const RU = CATALOGUES.ru.events;
const SLOW = 60_000;

let browser: Browser;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'callflow-transcript-'));
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

async function startCall(page: Page, callId: string) {
  await page.fill('#new-call input[name="callId"]', callId);
  await page.click('#new-call button[type="submit"]');
  await waitForText(page, '#call-id', callId);
  await waitForText(page, '#stream-status', 'онлайн');
}

/** Pastes a line into the box (a real clipboard paste event), then Enter reads it. */
async function pasteLine(page: Page, text: string) {
  await page.focus('#transcript-line');
  // In the page (this file is type-checked without the DOM library, so as text).
  await page.evaluate(`(() => {
    const line = ${JSON.stringify(text)};
    const box = document.querySelector('#transcript-line');
    const data = new DataTransfer();
    data.setData('text/plain', line);
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    // A synthetic paste inserts nothing by itself: insert as the browser would.
    if (!box.value) box.setRangeText(line, box.selectionStart, box.selectionEnd, 'end');
    box.dispatchEvent(new Event('input', { bubbles: true }));
  })()`);
  await page.keyboard.press('Enter');
}

describe('transcript box (Chromium)', () => {
  it(
    'a pasted line shows its suggestion with the evidence highlighted; Enter applies it',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/`);
      await startCall(page, 'transcript-1');
      await pasteLine(page, 'ну я вообще-то не гражданин россии');

      const top = page.locator('#transcript-lines .suggestion.top');
      await top.waitFor({ timeout: 15_000 });
      expect(await top.getAttribute('data-type')).toBe('customer.non-citizen');
      expect((await top.locator('.suggestion-label').textContent())?.trim()).toBe(RU['customer.non-citizen']);
      expect(await page.locator('#transcript-lines .transcript-text mark').allTextContents()).toEqual([
        'не',
        'гражданин',
      ]);
      expect(await page.locator('#transcript-line').inputValue()).toBe('');
      await page.screenshot({ path: join(ARTIFACTS, 'transcript.png'), fullPage: true });

      // Nothing is applied until the operator accepts it.
      const before = (await (await fetch(`${server.url}/v1/calls/transcript-1`)).json()) as { version: number };
      expect(before.version).toBe(0);

      // Enter in the (now empty) box accepts the top suggestion: the offer phrase follows.
      await page.keyboard.press('Enter');
      await waitForText(page, '#phrase .phrase-text', renderPrompt('offer.mail-order', null).text);
      const history = (await (await fetch(`${server.url}/v1/calls/transcript-1/history`)).json()) as {
        events: { type: string; source: string }[];
      };
      expect(history.events.map((e) => [e.type, e.source])).toEqual([['customer.non-citizen', 'api']]);
      expect(await page.locator('#transcript-lines .suggestion').count()).toBe(0);

      // Data travels with the suggestion: a refused phone is posted with its field, by Enter
      // pressed outside any field.
      await pasteLine(page, 'телефон не хочу давать');
      await page.locator('#transcript-lines .suggestion.top[data-type="customer.contact-refused"]').waitFor();
      await press(page, 'Enter');
      await waitForText(page, '#phrase .phrase-text', renderPrompt('reassure.skip-contact', null).text);
      const view = (await (await fetch(`${server.url}/v1/calls/transcript-1`)).json()) as { skippedFields: string[] };
      expect(view.skippedFields).toEqual(['phone']);
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  it(
    "a line on hold is applied at once; a recogniser's suggestions arrive through the stream",
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/`);
      await startCall(page, 'transcript-2');
      await press(page, 'h');
      await waitForText(page, '#phrase .phrase-text', renderPrompt('hold.start', null).text);
      await pasteLine(page, 'алло вы тут');
      await page.locator('#transcript-lines .suggestion.applied[data-type="customer.speech"]').waitFor();
      await waitForText(page, '#phrase .phrase-text', renderPrompt('hold.check', null).text);
      await press(page, 'u');
      await waitForText(page, '#phrase .phrase-text', renderPrompt('hold.return', null).text);

      // Another client posts the line (as speech recognition would): the console shows it.
      const res = await fetch(`${server.url}/v1/calls/transcript-2/utterances`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ speaker: 'customer', text: 'а вы где находитесь', id: 'asr-1' }),
      });
      expect(res.status).toBe(200);
      const top = page.locator('#transcript-lines .suggestion.top[data-type="customer.location-question"]');
      await top.waitFor({ timeout: 15_000 });
      expect(await top.locator('.suggestion-evidence mark').allTextContents()).toEqual(['вы', 'где', 'находитесь']);
      await top.locator('button.suggestion-accept').click();
      await waitForText(page, '#phrase .phrase-text', renderPrompt('info.location', null).text);
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );
});
