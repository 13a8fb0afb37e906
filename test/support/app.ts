/** An in-process app for app.inject tests, on its own store (in memory unless a URL is given). */
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export async function buildTestApp(env: Record<string, string> = {}) {
  const config = loadConfig({
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    HOLD_CHECK_SECONDS: '0.2',
    ...env,
  });
  const app = await buildApp(config);
  await app.ready();
  return app;
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/** POST a JSON body through inject. */
export function post(app: TestApp, url: string, body: unknown) {
  return app.inject({ method: 'POST', url, payload: body as object, headers: { 'content-type': 'application/json' } });
}
