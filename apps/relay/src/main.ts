// The OpenTelemetry SDK starts first (standard OTEL_* variables), before the relay's modules load.
import { startTelemetry } from '#observability';
import { ConfigError, validateConfig } from '#config';
import { createServer } from 'node:http';
import { loadEnvFile } from '#env-file';

/**
 * The relay on its own, for scale-out: run it beside API replicas that set RELAY_ENABLED=false.
 * Same configuration as the API (EVENT_STORE=postgres, DATABASE_URL, KAFKA_*, RELAY_*). Several
 * copies may run: one holds the advisory lock and the others stand by.
 */
async function main(): Promise<void> {
  let config;
  try {
    loadEnvFile();
    config = validateConfig(process.env);
    if (config.KAFKA_BROKERS.length === 0) throw new ConfigError('invalid configuration:\n  apps/relay needs KAFKA_BROKERS');
    // SQLite has no lease across processes: its one API process runs the relay itself.
    if (config.EVENT_STORE !== 'postgres') {
      throw new ConfigError('invalid configuration:\n  apps/relay needs EVENT_STORE=postgres; with SQLite the API process runs the relay (KAFKA_BROKERS)');
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`model-ledger relay: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const telemetry = startTelemetry({ serviceName: 'model-ledger-relay' });
  await import('reflect-metadata');
  const { Logger } = await import('@nestjs/common');
  const { createLogger, PinoNestLogger } = await import('#observability');
  const { relayFromConfig } = await import('#relay');
  const { openLedgerStore } = await import('#event-store');
  Logger.overrideLogger(new PinoNestLogger(createLogger(config)));
  const log = new Logger('relay');
  const clock = { now: () => new Date() };
  const { db, store } = await openLedgerStore(config, clock, { listen: true, poolSize: 4, applicationName: 'model-ledger-relay' });
  const relay = relayFromConfig(config, db, store, log);
  relay.start();
  log.log(`relay '${relay.name}' started: ${config.KAFKA_BROKERS.join(',')} → ${config.KAFKA_TOPIC_EVENTS}, ${config.KAFKA_TOPIC_PROMOTIONS}`);
  // Probes for orchestrators (RELAY_HEALTH_PORT): live = the loop runs; ready = the store answers.
  // A standby replica is healthy: it is waiting for the lease, not failing.
  const healthPort = Number(process.env.RELAY_HEALTH_PORT ?? 0);
  const health = healthPort
    ? createServer((req, res) => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        const s = relay.status();
        if (req.url === '/health/live') return reply(s.running ? 200 : 503, { status: s.running ? 'ok' : 'stopped', ...s });
        if (req.url === '/health/ready') {
          return void store.ping().then(
            () => reply(s.running ? 200 : 503, { status: s.running ? 'ok' : 'stopped', ...s }),
            (err: unknown) => reply(503, { status: 'unavailable', error: err instanceof Error ? err.message : String(err) }),
          );
        }
        reply(404, { status: 'not found' });
      }).listen(healthPort, '0.0.0.0')
    : undefined;
  const report = setInterval(() => {
    void relay.lag().then(
      (lag) => log.log(`relay '${relay.name}': ${JSON.stringify({ ...relay.status(), ...lag })}`),
      () => undefined,
    );
  }, 30_000);
  report.unref();
  const shutdown = async (signal: string) => {
    log.log(`${signal}: stopping relay`);
    clearInterval(report);
    health?.close();
    await relay.stop();
    await store.close();
    await db.close();
    await telemetry.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`model-ledger relay failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
