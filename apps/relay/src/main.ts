import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, validateConfig } from '../../../libs/config/src/index.js';
import { PostgresEventStore, type EventStore } from '../../../libs/event-store/src/index.js';
import { PostgresDb, type SqlDb } from '../../../libs/persistence/src/index.js';
import { relayFromConfig } from '../../../libs/relay/src/index.js';

/**
 * The relay on its own, for scale-out: run it beside API replicas that set RELAY_ENABLED=false.
 * Same configuration as the API (EVENT_STORE=postgres, DATABASE_URL, KAFKA_*, RELAY_*). Several
 * copies may run: one holds the advisory lock and the others stand by.
 */
async function main(): Promise<void> {
  let config;
  try {
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
  const log = new Logger('relay');
  const clock = { now: () => new Date() };
  const pgDb = new PostgresDb(config.DATABASE_URL!, { max: 4, applicationName: 'model-ledger-relay' });
  const db: SqlDb = pgDb;
  const store: EventStore = await PostgresEventStore.open(pgDb, clock, { listen: true });
  const relay = relayFromConfig(config, db, store, log);
  await relay.init();
  relay.start();
  log.log(`relay '${relay.name}' started: ${config.KAFKA_BROKERS.join(',')} → ${config.KAFKA_TOPIC_EVENTS}, ${config.KAFKA_TOPIC_PROMOTIONS}`);
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
    await relay.stop();
    await store.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`model-ledger relay failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
