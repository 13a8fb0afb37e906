/** Starts the service: listens, and on SIGTERM/SIGINT stops accepting, finishes in-flight events, closes the store. */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { StoreStartError } from './store/connect.js';

async function main() {
  const config = loadConfig();
  const app = await buildApp(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await app.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ store: app.store.kind, limits: config.limits }, `callflow listening on ${address}`);
  // One line a newcomer can click, whatever the log format.
  process.stdout.write(`callflow ready: ${address}/ (API ${address}/v1, docs ${address}/docs)\n`);
}

main().catch((error) => {
  // What an operator can fix gets one line, not a stack trace: a bad variable or an unwritable
  // SQLite directory (exit 2), a store that cannot be reached or opened (exit 1).
  if (error instanceof ConfigError) {
    console.error(`callflow: configuration error: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof StoreStartError) {
    console.error(`callflow: ${error.message}`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
