/**
 * The operator console and flow inspector in headless Chromium against the real server
 * process (SQLite in a temp dir, a 1 s hold check): what an operator sees and presses. The
 * expected phrases are the catalogue's, rendered for the customer as the service does.
 * Screenshots go to test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptKey } from '../../machines/call.machine.js';
import { CATALOGUES, renderPrompt } from '../../machines/catalogue.js';
import {
  type Browser,
  launchChromium,
  openPage,
  press,
  recordTexts,
  waitForClass,
  waitForShown,
  waitForText,
} from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const IVAN = { firstName: 'Иван', patronymic: 'Петрович' };
const say = (key: PromptKey, customer: typeof IVAN | null = IVAN, locale: 'ru' | 'en' = 'ru') =>
  renderPrompt(key, customer, locale).text;
const RU = CATALOGUES.ru.events;

declare const sessionStorage: { getItem(key: string): string | null };

const state = (path: string) => `svg.flow g.state[data-path="${path}"]`;

async function startCall(page: Page, callId: string, customer: { firstName?: string; patronymic?: string } = IVAN) {
  await page.fill('#new-call input[name="callId"]', callId);
  await page.fill('#new-call input[name="firstName"]', customer.firstName ?? '');
  await page.fill('#new-call input[name="patronymic"]', customer.patronymic ?? '');
  await page.click('#new-call button[type="submit"]');
  await waitForText(page, '#call-id', callId);
}

// One Chromium for the file (a launch costs seconds here); each test has its own page.
let browser: Browser;
beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

// A page, a server and a browser share two cores with the rest of the suite: generous timeouts.
const SLOW = 60_000;

describe('operator console and flow inspector (Chromium)', () => {
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callflow-browser-'));
    server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`, HOLD_CHECK_SECONDS: '1' });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'runs a call: phrases with the name, a hold check that arrives by itself, the inspector following live',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/`);
      await startCall(page, 'browser-1');
      await waitForText(page, '#phrase .phrase-text', say('greeting'));
      await waitForText(page, '#stream-status', 'онлайн');

      // One button per allowed situation, labelled from the Russian catalogue, with its key.
      const holdButton = page.locator('#situations button[data-event="call.hold"]');
      expect((await holdButton.locator('.situation-label').textContent())?.trim()).toBe(RU['call.hold']);
      expect(await holdButton.locator('kbd').textContent()).toBe('H');
      const shown = await page.$$eval('#situations button, #hangup button', (els) =>
        els.map((el) => el.getAttribute('data-event')),
      );
      const view = (await (await fetch(`${server.url}/v1/calls/browser-1`)).json()) as { allowedEvents: string[] };
      expect(new Set(shown)).toEqual(new Set(view.allowedEvents));
      expect(shown).not.toContain('customer.repeat-request');

      // Situations by button and by key; the counters follow against the machine's limits.
      await page.click('#situations button[data-event="answer.given"]');
      await waitForText(page, '[data-counter="repeats"] .counter-value', '0 / 3');
      await press(page, 'r');
      await waitForText(page, '#phrase .phrase-text', say('repeat.answer'));
      await waitForText(page, '[data-counter="repeats"] .counter-value', '1 / 3');
      await waitForText(page, '#phrase .instruction', CATALOGUES.ru.prompts['repeat.answer']!.instruction!);

      // Hold: the phrase with the name, then the timer's hold check without any reload.
      await page.evaluate(() => Object.assign(globalThis, { __sameDocument: true }));
      await recordTexts(page, '#phrase');
      await press(page, 'h');
      await waitForShown(page, '#phrase', 'Иван Петрович, оставайтесь, пожалуйста, на линии, я уточню информацию');
      expect(say('hold.start')).toBe('Иван Петрович, оставайтесь, пожалуйста, на линии, я уточню информацию');
      await page.waitForSelector('#hold-timer:not([hidden])');
      await waitForText(page, '#hold-timer-value', /^0:0[01]$/);
      await waitForText(page, '#phrase .phrase-text', say('hold.check'));
      await waitForText(page, '#phrase .instruction', CATALOGUES.ru.prompts['hold.check']!.instruction!);
      expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
      await page.waitForSelector('#timeline li.entry.source-timer[data-type="hold.check"]');
      await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });

      // The inspector: the statechart drawn, "hold" active, then back in conversation on unhold.
      await page.click('#tab-inspector');
      await page.waitForSelector('svg.flow[data-ready="true"]', { timeout: 20_000 });
      await waitForClass(page, state('hold'), 'active');
      expect(await page.locator('svg.flow g.state').count()).toBeGreaterThanOrEqual(15);
      expect(await page.locator('svg.flow text.edge-text.delay').first().textContent()).toMatch(/^after holdCheck 1 s/);
      await press(page, 'u');
      await waitForClass(page, state('hold'), 'active', false);
      for (const path of [
        'conversation.dialogue.talking',
        'conversation.answer.given',
        'conversation.conduct.polite',
      ]) {
        await waitForClass(page, state(path), 'active');
      }
      await waitForClass(page, state('conversation'), 'active-parent');
      // The transition just taken (unhold, into the deep history of the conversation).
      await page.waitForSelector('svg.flow g.edge.taken[data-source="hold"][data-target="conversation.resume"]');
      // A wider window for the artifact, so the whole chart is readable in one picture.
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.screenshot({ path: join(ARTIFACTS, 'inspector.png'), fullPage: true });
      await page.setViewportSize({ width: 1440, height: 900 });

      // A history entry shows the state it led to; "back to live" returns to the call's state.
      await page.click('#inspector-timeline li.entry[data-type="call.hold"]');
      await waitForClass(page, state('hold'), 'active');
      await waitForClass(page, state('conversation.dialogue.talking'), 'active', false);
      await page.waitForSelector('#inspector-timeline li.entry.selected[data-type="call.hold"]');
      await page.click('#back-to-live');
      await waitForClass(page, state('hold'), 'active', false);
      await waitForClass(page, state('conversation.dialogue.talking'), 'active');

      // A click in the console's timeline opens the inspector on that entry.
      await page.click('#tab-console');
      await page.click('#timeline li.entry[data-type="answer.given"]');
      await page.waitForSelector('#inspector-view:not([hidden])');
      await waitForClass(page, state('conversation.answer.given'), 'active');
      await waitForClass(page, state('conversation.dialogue.talking'), 'active');

      await page.close();
      expect(errors).toEqual([]);
    },
    SLOW,
  );

  it(
    'asks for the data an event needs, in a small form, and shows what the service did',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/`);
      await startCall(page, 'browser-2', {});
      await waitForText(page, '#call-customer', 'имя не известно');
      // The name is shown before the view arrives; a key pressed before it is dropped.
      await page.waitForSelector('#situations button[data-event="customer.identified"]');

      await press(page, 'n');
      await page.waitForSelector('#event-form form[data-event="customer.identified"]');
      await page.fill('#event-form input[name="firstName"]', 'Мария');
      await page.fill('#event-form input[name="patronymic"]', 'Ивановна');
      await page.click('#event-form button[type="submit"]');
      await waitForText(page, '#call-customer', 'Мария Ивановна');
      expect(await page.locator('#event-form form').count()).toBe(0);

      await page.click('#situations button[data-event="customer.unknown-topic"]');
      await page.fill('#event-form input[name="topic"]', 'новая рассылка');
      await page.keyboard.press('Enter');
      await waitForText(
        page,
        '#phrase .phrase-text',
        say('info.unknown-topic', { firstName: 'Мария', patronymic: 'Ивановна' }),
      );
      await waitForText(page, '#phrase .action-note', /«новая рассылка»/);

      await press(page, 'f');
      await page.selectOption('#event-form select[name="field"]', 'email');
      await page.click('#event-form button[type="submit"]');
      await waitForText(
        page,
        '#phrase .phrase-text',
        say('reassure.skip-contact', { firstName: 'Мария', patronymic: 'Ивановна' }),
      );
      await waitForText(page, '#phrase .skipped-note', /e-mail/);

      // Escape closes a form without sending anything.
      await press(page, 'n');
      await page.waitForSelector('#event-form form');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#event-form', { state: 'hidden' });

      // Ending the call: confirmed in its form; no situations are left.
      await page.click('#hangup button[data-event="call.hangup"]');
      await page.selectOption('#event-form select[name="by"]', 'customer');
      await page.click('#event-form button[type="submit"]');
      await waitForText(page, '#call-status', 'завершён');
      await waitForText(page, '#situations', 'Звонок завершён: действий больше нет.');
      await page.waitForSelector('#call-list button[data-call-id="browser-2"]', { state: 'detached' });

      await page.close();
      expect(errors).toEqual([]);
    },
    SLOW,
  );

  it(
    'shows the problem+json detail of a refused request, and switches labels to English',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/`);
      await startCall(page, 'browser-3');
      // The same call id with another body: 409, its detail shown to the operator.
      await startCall(page, 'browser-3', { firstName: 'Пётр' });
      await waitForText(page, '#alerts .alert-detail', /already exists with another body/);
      await waitForText(page, '#alerts .alert strong', /\(409\)/);

      await page.click('button[data-locale="en"]');
      await waitForText(
        page,
        '#situations button[data-event="call.hold"] .situation-label',
        CATALOGUES.en.events['call.hold']!,
      );
      await waitForText(page, '#tab-console', 'Operator console');
      // The phrase stays in the call's own language.
      await waitForText(page, '#phrase .phrase-text', say('greeting'));
      await page.click('button[data-locale="ru"]');
      await waitForText(page, '#situations button[data-event="call.hold"] .situation-label', RU['call.hold']!);

      await page.close();
      // The refused request is the browser's only complaint.
      expect(errors).toEqual([expect.stringMatching(/status of 409/)]);
    },
    SLOW,
  );

  it(
    'shows the keys GET /v1/machine gives, in its order, and takes them on a Russian layout too',
    async () => {
      const { page, errors } = await openPage(browser, `${server.url}/`);
      await startCall(page, 'browser-4');
      await waitForText(page, '#phrase .phrase-text', say('greeting'));
      const machine = (await (await fetch(`${server.url}/v1/machine`)).json()) as {
        events: { type: string; shortcut: string | null }[];
      };
      const buttons = await page.$$eval('#situations button', (els) =>
        els.map((el) => ({ type: el.getAttribute('data-event'), kbd: el.querySelector('kbd')?.textContent ?? null })),
      );
      expect(buttons.length).toBeGreaterThan(3);
      const order = machine.events.map((e) => e.type);
      const ranks = buttons.map((b) => order.indexOf(b.type ?? ''));
      expect(ranks.every((rank) => rank >= 0)).toBe(true);
      expect(ranks, 'the buttons in the description order').toEqual([...ranks].sort((a, b) => a - b));
      for (const button of buttons) {
        const shortcut = machine.events.find((e) => e.type === button.type)?.shortcut ?? null;
        expect(button.kbd, button.type ?? '').toBe(shortcut ? shortcut.toUpperCase() : null);
      }

      // Russian layout: the key where H is types "р"; it still puts the call on hold.
      await recordTexts(page, '#phrase');
      await page.evaluate(
        `document.dispatchEvent(new KeyboardEvent('keydown', { key: 'р', code: 'KeyH', bubbles: true }))`,
      );
      await waitForShown(page, '#phrase', say('hold.start'));

      await page.close();
      expect(errors).toEqual([]);
    },
    SLOW,
  );
});

describe('operator console with API_TOKENS (Chromium)', () => {
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callflow-browser-token-'));
    server = await startServer({
      DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`,
      HOLD_CHECK_SECONDS: '1',
      API_TOKENS: 'desk-token-1,desk-token-2',
    });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'asks for a token, then sends it on every request and on the event stream',
    async () => {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#token-form:not([hidden])');
      await waitForText(page, '#alerts .alert strong', /\(401\)/);

      await page.fill('#token-input', 'desk-token-2');
      await page.click('#token-form button[type="submit"]');
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
      expect(await page.evaluate(() => sessionStorage.getItem('callflow.token'))).toBe('desk-token-2');

      await startCall(page, 'token-1');
      await waitForText(page, '#stream-status', 'онлайн');
      await recordTexts(page, '#phrase');
      await press(page, 'h');
      await waitForShown(page, '#phrase', say('hold.start'));
      // Only the stream can bring the timer's prompt: it carries the token as ?access_token=.
      await waitForText(page, '#phrase .phrase-text', say('hold.check'));

      await page.close();
      expect(errors.every((e) => /status of 401/.test(e))).toBe(true);
    },
    SLOW,
  );
});
