// @ts-check
/**
 * The navigation shell: one tab per entry of nav.js, one panel per tab, the page and the chosen
 * call in the URL's hash (#tab=inspector&call=42), so a reload or a shared link opens the same.
 * A page's module is imported the first time it is shown (or in the background, `preload`),
 * and mounted once into its panel.
 */
import { state } from '../call/state.js';
import { $, h } from '../dom.js';
import { translatePage } from '../i18n.js';
import { showError } from './alerts.js';
import { emit, on } from './events.js';

/**
 * A page: mounted once into its panel, told each time it is shown.
 * @typedef {object} Page
 * @property {(panel: HTMLElement) => void | Promise<void>} mount binds its controls and renders what is known
 * @property {() => void} [show] the page became visible
 */

/**
 * One entry of the navigation.
 * @typedef {object} NavEntry
 * @property {string} id the tab's id (#tab-<id>), the panel's (#<id>-view) and the hash's tab=<id>
 * @property {string} label an i18n.js key for the tab's text
 * @property {() => Promise<{ default: Page }>} load the page's module, imported on first use
 * @property {boolean} [sidebar] the calls sidebar (new call, active calls) is shown beside it
 * @property {boolean} [preload] mounted in the background once the page is ready: opens at once
 */

/** @type {NavEntry[]} */
let entries = [];
let current = '';
/** @type {Map<string, Promise<Page | null>>} */
const mounted = new Map();

/** @param {string} id */
function panelOf(id) {
  const existing = document.getElementById(`${id}-view`);
  if (existing) return existing;
  // A page without markup in index.html gets an empty panel to render into.
  const panel = h('section', { id: `${id}-view`, role: 'tabpanel', 'aria-labelledby': `tab-${id}`, hidden: true });
  $('main.main').append(panel);
  return panel;
}

/**
 * The page's module, loaded and mounted once; null (and the error shown) when that failed, so the
 * next visit tries again.
 * @param {NavEntry} entry
 */
function mount(entry) {
  let page = mounted.get(entry.id);
  if (!page) {
    page = entry
      .load()
      .then(async ({ default: module }) => {
        await module.mount(panelOf(entry.id));
        return module;
      })
      .catch((error) => {
        mounted.delete(entry.id);
        showError(error);
        reportError(error); // and on the console, where a developer (and a test) looks
        return null;
      });
    mounted.set(entry.id, page);
  }
  return page;
}

/** The page and call a URL asks for; an unknown tab is the first page. */
export function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const tab = params.get('tab');
  return { callId: params.get('call'), page: entries.find((e) => e.id === tab)?.id ?? entries[0]?.id ?? '' };
}

function writeHash() {
  const params = new URLSearchParams();
  if (state.callId) params.set('call', state.callId);
  if (current !== entries[0]?.id) params.set('tab', current);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
}

export const currentPage = () => current;

/**
 * Shows a page; resolves once it is mounted.
 * @param {string} id
 */
export async function navigate(id) {
  const entry = entries.find((e) => e.id === id);
  if (!entry) throw new Error(`no page "${id}" in nav.js`);
  current = id;
  for (const button of document.querySelectorAll('[role="tab"]')) {
    button.setAttribute('aria-selected', String(button instanceof HTMLElement && button.dataset.tab === id));
  }
  document.body.dataset.tab = id;
  document.body.dataset.sidebar = entry.sidebar ? 'on' : 'off';
  for (const other of entries) panelOf(other.id).hidden = other.id !== id;
  writeHash();
  emit('page', id);
  const page = await mount(entry);
  if (page && current === id) page.show?.();
}

/** Mounts the pages marked `preload` without showing them. */
export function preload() {
  for (const entry of entries) if (entry.preload) void mount(entry);
}

/**
 * Builds the tabs and shows the page of the URL; resolves once that page is mounted.
 * @param {NavEntry[]} nav
 */
export function startRouter(nav) {
  entries = nav;
  $('.tabs').replaceChildren(
    ...nav.map((entry) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${entry.id}`,
          dataset: { tab: entry.id, i18n: entry.label },
          'aria-controls': `${entry.id}-view`,
          onclick: () => void navigate(entry.id),
        },
        entry.label,
      ),
    ),
  );
  translatePage();
  // The chosen call is part of the address.
  on('call', writeHash);
  return navigate(readHash().page);
}
