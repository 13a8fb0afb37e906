// @ts-check
/**
 * The pages of the console, in the order of their tabs: one entry and one module each
 * (docs/console.md says how to add one). The first entry is the page an address without
 * #tab= opens.
 */

/** @type {import('./shell/router.js').NavEntry[]} */
export const NAV = [
  { id: 'console', label: 'tab.console', sidebar: true, load: () => import('./pages/console.js') },
  { id: 'inspector', label: 'tab.inspector', preload: true, load: () => import('./pages/inspector.js') },
  { id: 'script', label: 'tab.script', load: () => import('./pages/script.js') },
  { id: 'try', label: 'tab.try', load: () => import('./pages/try.js') },
  { id: 'supervisor', label: 'tab.supervisor', load: () => import('./pages/supervisor.js') },
  { id: 'reports', label: 'tab.reports', load: () => import('./pages/reports.js') },
  { id: 'webhooks', label: 'tab.webhooks', load: () => import('./pages/webhooks.js') },
];
