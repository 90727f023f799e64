import { Global, Inject, Logger, Module, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EventStore } from '../../../../libs/event-store/src/index.js';
import { PostgresDb, type SqlDb } from '../../../../libs/persistence/src/index.js';
import { KafkaPublisher, LocalLease, PgAdvisoryLease, Relay, type Lease } from '../../../../libs/relay/src/index.js';
import type { AppConfig } from '../config.js';
import { EVENT_STORE, SQL_DB } from './tokens.js';

/** The relay of this process, or null when it runs elsewhere (apps/relay) or Kafka is not configured. */
export const RELAY = Symbol('Relay');

export function relayEnabled(config: AppConfig): boolean {
  return config.RELAY_ENABLED === 'true' || (config.RELAY_ENABLED === 'auto' && config.KAFKA_BROKERS.length > 0);
}

/**
 * Builds the relay from configuration; shared by the API process and apps/relay. PostgreSQL:
 * a session advisory lock elects one publisher among replicas. SQLite: the one process that
 * owns the database file owns the relay.
 */
export function relayFromConfig(config: AppConfig, db: SqlDb, store: EventStore, logger = new Logger('relay')): Relay {
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

@Global()
@Module({})
export class RelayModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Optional() @Inject(RELAY) private readonly relay: Relay | null) {}

  static forRoot(config: AppConfig) {
    return {
      module: RelayModule,
      providers: [
        {
          provide: RELAY,
          useFactory: async (db: SqlDb, store: EventStore) => {
            if (!relayEnabled(config)) return null;
            const relay = relayFromConfig(config, db, store);
            await relay.init();
            return relay;
          },
          inject: [SQL_DB, EVENT_STORE],
        },
      ],
      exports: [RELAY],
    };
  }

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  /** Before the persistence module closes the database (that happens on application shutdown). */
  async onModuleDestroy(): Promise<void> {
    await this.relay?.stop();
  }
}
