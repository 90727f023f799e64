import type { AppConfig } from '#config';
import type { EventStore } from '#event-store';
import { PostgresDb, type SqlDb } from '#persistence';
import { LocalLease, PgAdvisoryLease, type Lease } from './lease.js';
import { KafkaPublisher } from './publisher.js';
import { Relay } from './relay.js';

/** What the relay logs through: Nest's Logger fits, so does console. */
export interface RelayLogger {
  error(message: string): void;
  warn(message: string): void;
  log(message: string): void;
}

export function relayEnabled(config: AppConfig): boolean {
  return config.RELAY_ENABLED === 'true' || (config.RELAY_ENABLED === 'auto' && config.KAFKA_BROKERS.length > 0);
}

/**
 * Builds the relay from configuration; shared by the API process and apps/relay. PostgreSQL:
 * a session advisory lock elects one publisher among replicas. SQLite: the one process that
 * owns the database file owns the relay.
 */
export function relayFromConfig(config: AppConfig, db: SqlDb, store: EventStore, logger: RelayLogger): Relay {
  const log = (level: 'error' | 'warn' | 'info', message: string) =>
    level === 'error' ? logger.error(message) : level === 'warn' ? logger.warn(message) : logger.log(message);
  const topics = { events: config.KAFKA_TOPIC_EVENTS, promotions: config.KAFKA_TOPIC_PROMOTIONS };
  const publisher = new KafkaPublisher({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    topics,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    log,
  });
  const lease: Lease = db instanceof PostgresDb ? new PgAdvisoryLease(config.DATABASE_URL!, config.RELAY_NAME) : new LocalLease();
  return new Relay(db, store, publisher, lease, { name: config.RELAY_NAME, topics, mode: config.KAFKA_CLOUDEVENTS_MODE, batchSize: config.RELAY_BATCH_SIZE, log });
}
