/**
 * Headless Chromium (Debian's, installed by chromium.setup.ts) driven by playwright-core, with
 * the flags this closed network needs and a new empty profile per launch. Each page collects
 * its console errors and uncaught exceptions so a test can assert there were none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './chromium.setup.js';

/**
 * The few DOM globals the page-side callbacks below touch. The project's lib has no DOM on
 * purpose (server code must not use it); declared here, they stay local to this module.
 */
interface PageElement {
  textContent: string | null;
  classList: { contains(name: string): boolean };
  getAttribute(name: string): string | null;
  blur?(): void;
}
declare const document: { querySelector(selector: string): PageElement | null; activeElement: PageElement | null };
declare const MutationObserver: new (
  callback: () => void,
) => { observe(target: PageElement, options: { childList: boolean; subtree: boolean; characterData: boolean }): void };

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'callflow-chromium-'));
  // launchPersistentContext is playwright's way to pass --user-data-dir (a fresh, empty one).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: ARGS,
    viewport,
    locale: 'ru-RU',
    timezoneId: 'Europe/Moscow',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  return { page, errors };
}

/** The operator presses a key with the focus on the page, not in a form field. */
export async function press(page: Page, key: string) {
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.keyboard.press(key);
}

/** Waits until the element's trimmed text equals (string) or matches (RegExp) the expectation. */
export async function waitForText(page: Page, selector: string, expected: string | RegExp, timeout = 15_000) {
  const pattern = typeof expected === 'string' ? null : { source: expected.source, flags: expected.flags };
  const exact = typeof expected === 'string' ? expected : null;
  try {
    await page.waitForFunction(
      ({ selector, exact, pattern }) => {
        const text = document.querySelector(selector)?.textContent?.trim() ?? null;
        if (text === null) return false;
        return exact !== null ? text === exact : new RegExp(pattern!.source, pattern!.flags).test(text);
      },
      { selector, exact, pattern },
      { timeout },
    );
  } catch (error) {
    const actual = await page
      .locator(selector)
      .first()
      .textContent({ timeout: 100 })
      .catch(() => null);
    throw new Error(
      `${selector}: expected ${String(expected)}, got ${JSON.stringify(actual)} (${(error as Error).message})`,
    );
  }
}

/** Waits until the element has (or, with present=false, lacks) the class. */
export async function waitForClass(page: Page, selector: string, cls: string, present = true, timeout = 15_000) {
  try {
    await page.waitForFunction(
      ({ selector, cls, present }) => document.querySelector(selector)?.classList.contains(cls) === present,
      { selector, cls, present },
      { timeout },
    );
  } catch (error) {
    const actual = await page.evaluate((s) => document.querySelector(s)?.getAttribute('class') ?? null, selector);
    throw new Error(
      `${selector}: expected class "${cls}" ${present ? 'present' : 'absent'}, class is ${JSON.stringify(actual)} (${(error as Error).message})`,
    );
  }
}

/**
 * Records every text the element shows, in order, from now on. A phrase may be on screen for
 * less than a polling interval (a 1 s hold check replaces "hold.start" on a starved machine),
 * and it was still shown: waitForShown finds it in the record.
 */
export async function recordTexts(page: Page, selector: string) {
  await page.evaluate((selector) => {
    const target = document.querySelector(selector);
    if (!target) throw new Error(`nothing matches ${selector}`);
    const seen: string[] = [];
    const note = () => {
      const text = target.textContent?.trim() ?? '';
      if (seen.at(-1) !== text) seen.push(text);
    };
    note();
    new MutationObserver(note).observe(target, { childList: true, subtree: true, characterData: true });
    Object.assign(globalThis, { [`__texts:${selector}`]: seen });
  }, selector);
}

/** Waits until the recorded texts of the element include one containing `expected`. */
export async function waitForShown(page: Page, selector: string, expected: string, timeout = 15_000) {
  try {
    await page.waitForFunction(
      ({ key, expected }) =>
        ((globalThis as unknown as Record<string, string[]>)[key] ?? []).some((text) => text.includes(expected)),
      { key: `__texts:${selector}`, expected },
      { timeout },
    );
  } catch (error) {
    const seen = await page.evaluate(
      (key) => (globalThis as unknown as Record<string, string[]>)[key],
      `__texts:${selector}`,
    );
    throw new Error(
      `${selector}: never showed ${JSON.stringify(expected)}; showed ${JSON.stringify(seen)} (${(error as Error).message})`,
    );
  }
}
