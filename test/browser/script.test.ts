/**
 * The console's script page and "try the script" page in headless Chromium against the real
 * server process (SPEC §11): the versions with their summaries, two versions' phrases side by
 * side, the current phrases per situation; a shipped scenario run on the current version, an
 * older one and a draft, and a wrong expectation shown as a failing step.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../machines/catalogue.js';
import { V2_EN, V2_RU, withHoldCheck } from '../scripts/helpers.js';
import { type Browser, launchChromium, openPage, waitForText } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const SLOW = 60_000;
const V1_RU = CATALOGUES.ru.prompts['hold.check']!.text;
const STEP2_PROMPT = '#try-steps tr[data-step="2"] .prompts p[data-key="hold.check"]';

let browser: Browser;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'callflow-script-page-'));
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`, HOLD_CHECK_SECONDS: '600' }),
  ]);
  const res = await fetch(`${server.url}/v1/script`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(withHoldCheck(V2_RU, V2_EN)),
  });
  expect(res.status).toBe(201);
}, SLOW);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('script page (Chromium)', () => {
  it(
    'lists the versions, shows v1 against v2 side by side, and the current phrases per situation',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/#tab=script`);
      await page.locator('#script-versions tbody tr[data-version="2"]').waitFor();
      expect(await page.locator('#script-versions tbody tr').count()).toBe(2);
      expect(await page.locator('#script-versions tr[data-version="2"] .summary').textContent()).toMatch(
        /ru:hold\.check/,
      );
      expect(await page.locator('#script-versions tr[data-version="1"] td').nth(2).textContent()).toBe('shipped');
      await waitForText(page, '#script-current', 'Версия 2');

      // The diff: v1 → v2, only what differs: the hold check phrase.
      await page.locator('#script-diff tbody tr[data-key="hold.check"]').waitFor();
      expect(await page.locator('#script-diff tbody tr').count()).toBe(1);
      const cells = page.locator('#script-diff tr[data-key="hold.check"] td');
      expect(await cells.allTextContents()).toEqual([V1_RU, V2_RU]);
      expect(await cells.first().getAttribute('class')).toBe('changed');
      await page.selectOption('#diff-locale', 'en');
      await waitForText(page, '#script-diff tr[data-key="hold.check"] td:last-child', V2_EN);
      // All rows, not only the differences: every prompt key is there.
      await page.uncheck('#diff-only-changes');
      // (As page text: this file is type-checked without the DOM library.)
      await page.waitForFunction(
        `document.querySelectorAll('#script-diff tbody tr[data-key]').length > ${Object.keys(CATALOGUES.ru.prompts).length}`,
      );

      // The current version's phrases, per situation: the hold check under the timer, in v2's words.
      const check = page.locator(
        '#script-phrases [data-situation="timer"] [data-key="hold.check"] .script-phrase-text',
      );
      await check.waitFor();
      expect(await check.textContent()).toBe(V2_RU);
      expect(await page.locator('#script-phrases [data-situation="call.hold"] [data-key="hold.start"]').count()).toBe(
        1,
      );
      await page.screenshot({ path: join(ARTIFACTS, 'script-page.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  it(
    'try the script: a shipped scenario passes on the current version, shows an older version’s and a draft’s words, and a wrong expectation fails its step',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/#tab=try`);
      await page.locator('#try-scenario option[value="03-hold-check.yaml"]').waitFor({ state: 'attached' });
      await page.selectOption('#try-scenario', '03-hold-check.yaml');
      expect(await page.locator('#try-yaml').inputValue()).toMatch(/^# yaml-language-server/);

      const holdCheckText = () =>
        page.locator('#try-steps tr[data-step="2"] .prompts p[data-key="hold.check"]').textContent();
      await page.click('#try-run');
      await waitForText(page, '#try-verdict', 'Сценарий пройден');
      expect(await holdCheckText()).toBe('Иван Петрович, спасибо, что ждёте: я почти закончил');
      expect(await page.locator('#try-steps tbody tr').count()).toBe(5);

      await page.selectOption('#try-script', '1');
      await page.click('#try-run');
      await waitForText(page, STEP2_PROMPT, `Иван Петрович, ${V1_RU.replace(/^И\.О\., /u, '')}`);

      await page.selectOption('#try-script', 'draft');
      await page.locator('#try-draft').waitFor();
      // Polled from here: a string predicate would be eval'd in the page, which its CSP refuses.
      await expect.poll(() => page.locator('#try-draft').inputValue(), { timeout: 15_000 }).not.toBe('');
      const draft = JSON.parse(await page.locator('#try-draft').inputValue());
      draft.catalogues.ru.prompts['hold.check'].text = 'И.О., это черновик';
      await page.fill('#try-draft', JSON.stringify(draft));
      await page.click('#try-run');
      await waitForText(page, STEP2_PROMPT, 'Иван Петрович, это черновик');

      // A wrong expectation: the step fails and says what came.
      const yaml = (await page.locator('#try-yaml').inputValue()).replace(
        'expect: { prompts: [hold.return], timers: [] }',
        'expect: { prompts: [hold.start], timers: [] }',
      );
      await page.fill('#try-yaml', yaml);
      await page.click('#try-run');
      await waitForText(page, '#try-verdict', 'Шагов с ошибкой: 1');
      expect(await page.locator('#try-steps tr[data-step="5"] .failure').textContent()).toMatch(/hold\.start/);
      await page.screenshot({ path: join(ARTIFACTS, 'try-script.png'), fullPage: true });

      // A bad draft is named field by field.
      draft.catalogues.ru.prompts['hold.check'].text = 'Ждите, И.О.';
      await page.fill('#try-draft', JSON.stringify(draft));
      await page.click('#try-run');
      await page.locator('#try-problems li').first().waitFor();
      expect(await page.locator('#try-problems li').allTextContents()).toEqual([
        expect.stringMatching(/^body\.draft\.catalogues\.ru\.prompts\.hold\.check\.text: /),
      ]);
      // The failing request's 400 is the only console error the page may show.
      expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
      await page.close();
    },
    SLOW,
  );
});
