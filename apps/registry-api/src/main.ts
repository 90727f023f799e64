// The OpenTelemetry SDK starts first (standard OTEL_* variables), before the app's modules load.
import { startTelemetry } from '#observability';
import { ConfigError, validateConfig } from '#config';
import { describeStore, loadEnvFile } from '#env-file';
import type { Relay } from '#relay';

async function main(): Promise<void> {
  let config;
  let envFile: string | undefined;
  try {
    envFile = loadEnvFile();
    config = validateConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.message.startsWith('ENV_FILE='))) {
      console.error(`model-ledger: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const telemetry = startTelemetry({ serviceName: 'model-ledger-api' });
  const { createApp } = await import('./bootstrap.js');
  const { Logger } = await import('@nestjs/common');
  const { POLICY } = await import('./infrastructure/tokens.js');
  const { RELAY } = await import('./infrastructure/relay.module.js');
  const app = await createApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  const url = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`;
  const log = new Logger('model-ledger');
  log.log(`listening on ${url} (event store: ${config.EVENT_STORE}${config.EVENT_STORE === 'sqlite' ? `, ${config.DATA_DIR}/ledger.db` : ''})`);
  log.log(`API docs: ${url}/docs (OpenAPI JSON: ${url}/docs-json)`);
  log.log(describeStore(config, envFile));
  const policy = app.get<{ id: string; source?: string }>(POLICY);
  log.log(`policy in force: ${policy.id} (${policy.source && policy.source !== 'builtin' ? policy.source : 'built-in: approval only; set POLICY_FILE for gates'})`);
  let relay: Relay | null = null;
  try {
    relay = app.get<Relay | null>(RELAY, { strict: false });
  } catch {
    relay = null; // not provided: the relay module is off
  }
  if (!relay) {
    log.log(config.KAFKA_BROKERS.length ? 'relay: off in this process (RELAY_ENABLED=false)' : 'relay: off (KAFKA_BROKERS unset; SSE at /v1/events/stream still works)');
  } else {
    const s = relay.status();
    log.log(
      `relay: on, brokers ${config.KAFKA_BROKERS.join(',')}, ${s.leader ? 'publishing (lease held)' : 'standing by (another instance holds the lease)'}, checkpoint position ${s.position}${s.consecutiveFailures ? `, broker unreachable (${s.consecutiveFailures} failures: ${s.lastError ?? ''})` : ', broker connection made on the first publish'}; lag in /health/ready and /metrics`,
    );
  }
  if (!config.JWKS_URL && !config.JWT_PUBLIC_KEY_FILE) {
    log.log(`development signing key in ${config.DATA_DIR}; mint a token with:`);
    log.log(`  npx model-ledger token --sub alice --scope "registry:read registry:write"`);
  }
  // Flush buffered spans and metrics while Nest's shutdown hooks close the app.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void telemetry.shutdown().catch(() => undefined));
}

main().catch((err) => {
  console.error(`model-ledger failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
