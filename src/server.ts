/** Starts the service: listens, and on SIGTERM/SIGINT stops accepting, finishes in-flight events, closes the store. */
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`callflow: configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
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
  console.error(error);
  process.exit(1);
});
