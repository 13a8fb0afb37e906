/**
 * The console's modules in Chromium: every file under public/ that is a module loads with no
 * console error, every page of nav.js opens, and the page is under its CSP (sent as a header
 * and enforced: eval is refused).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, openPage } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const PUBLIC = fileURLToPath(new URL('../../public/', import.meta.url));
const MODULES = readdirSync(PUBLIC, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
  .map((entry) => relative(PUBLIC, join(entry.parentPath, entry.name)).split(sep).join('/'))
  .sort();

declare const document: { querySelector(selector: string): { hidden: boolean } | null };

let browser: Browser;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callflow-modules-'));
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}` }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('console modules (Chromium)', () => {
  it('loads every module of public/ with no console error', async () => {
    expect(MODULES.length).toBeGreaterThanOrEqual(15);
    const { page, errors } = await openPage(browser, `${server.url}/`);
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/ui/') && response.status() >= 400) failed.push(response.url());
    });
    for (const module of MODULES) {
      // A string, so the test runner's transform leaves import() to the browser.
      const loaded = await page.evaluate(
        `import(${JSON.stringify(`/ui/${module}`)}).then(() => 'loaded', (error) => String(error))`,
      );
      expect(loaded, module).toBe('loaded');
    }
    expect(failed).toEqual([]);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('opens every page of nav.js in its own panel, with no console error', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/`);
    const ids = (await page.evaluate(
      `import('/ui/nav.js').then((nav) => nav.NAV.map((entry) => entry.id))`,
    )) as string[];
    expect(ids).toEqual(expect.arrayContaining(['console', 'inspector']));
    for (const id of ids) {
      await page.click(`#tab-${id}`);
      await page.waitForSelector(`#${id}-view:not([hidden])`);
      expect(await page.getAttribute(`#tab-${id}`, 'aria-selected')).toBe('true');
      const others = await page.evaluate(
        (list) => list.filter((other) => document.querySelector(`#${other}-view`)?.hidden === false),
        ids,
      );
      expect(others, 'one panel at a time').toEqual([id]);
      // What the eye sees, not the attribute: a page's own display rule once beat [hidden].
      const onScreen = (await page.evaluate(
        `${JSON.stringify(ids)}.filter((other) => document.querySelector('#' + other + '-view')?.offsetParent != null)`,
      )) as string[];
      expect(onScreen, 'one panel on screen').toEqual([id]);
      expect(await page.locator('#alerts .alert').count(), `${id}: no error shown`).toBe(0);
      expect(page.url()).toContain(id === ids[0] ? '/' : `tab=${id}`);
    }
    // Every panel of console/panels.js has its filled card on the console.
    await page.click(`#tab-${ids[0]}`);
    const panels = (await page.evaluate(
      `import('/ui/console/panels.js').then((m) => m.PANELS.map((panel) => panel.id))`,
    )) as string[];
    expect(panels).toContain('counters');
    for (const id of panels) await page.waitForSelector(`#panel-${id} > *`, { state: 'attached' });
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('follows an address changed in place (a typed #tab=, a link, Back) to its page', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/`);
    await page.waitForSelector('#console-view:not([hidden])');
    await page.evaluate(`location.hash = 'tab=inspector'`);
    await page.waitForSelector('#inspector-view:not([hidden])');
    expect(await page.getAttribute('#tab-inspector', 'aria-selected')).toBe('true');
    await page.goBack();
    await page.waitForSelector('#console-view:not([hidden])');
    expect(await page.locator('#inspector-view').isHidden()).toBe(true);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it('serves the page with its CSP, and the browser enforces it', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    const response = await page.goto(`${server.url}/`);
    const headers = response?.headers() ?? {};
    const csp = headers['content-security-policy'] ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    const module = await page.request.get(`${server.url}/ui/main.js`);
    expect(module.headers()['content-security-policy']).toBe(csp);

    // No inline script: one injected into the page (a phrase, a call id) never runs.
    const inlineRan = await page.evaluate(() => {
      const dom = globalThis as unknown as {
        document: { createElement(tag: string): { textContent: string }; head: { append(node: unknown): void } };
        __inline?: boolean;
      };
      const script = dom.document.createElement('script');
      script.textContent = 'globalThis.__inline = true';
      dom.document.head.append(script);
      return dom.__inline === true;
    });
    expect(inlineRan).toBe(false);
    // The refusal is reported on the console: the only error the page gives.
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(
      errors.every((e) => /Content Security Policy/i.test(e)),
      errors.join('\n'),
    ).toBe(true);
    await page.close();
  }, 60_000);
});
