// The OpenTelemetry SDK starts first (standard OTEL_* variables), before the app's modules load.
import { startTelemetry } from '../../../libs/observability/src/index.js';
import { ConfigError, validateConfig } from '../../../libs/config/src/index.js';

async function main(): Promise<void> {
  let config;
  try {
    config = validateConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`model-ledger: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const telemetry = startTelemetry({ serviceName: 'model-ledger-api' });
  const { createApp } = await import('./bootstrap.js');
  const { Logger } = await import('@nestjs/common');
  const app = await createApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`;
  const log = new Logger('model-ledger');
  log.log(`listening on ${url} (event store: ${config.EVENT_STORE}${config.EVENT_STORE === 'sqlite' ? `, ${config.DATA_DIR}/ledger.db` : ''})`);
  log.log(`API docs: ${url}/docs (OpenAPI JSON: ${url}/docs-json)`);
  if (!config.JWKS_URL && !config.JWT_PUBLIC_KEY_FILE) {
    log.log(`development signing key in ${config.DATA_DIR}; mint a token with:`);
    log.log(`  npm run token -- --sub alice --scope "registry:read registry:write"`);
  }
  // Flush buffered spans and metrics while Nest's shutdown hooks close the app.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void telemetry.shutdown().catch(() => undefined));
}

main().catch((err) => {
  console.error(`model-ledger failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
