import { Global, Inject, Logger, Module, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EventStore } from '#event-store';
import type { SqlDb } from '#persistence';
import { Relay, relayEnabled, relayFromConfig } from '#relay';
import type { AppConfig } from '#config';
import { EVENT_STORE, SQL_DB } from './tokens.js';

/** The relay of this process, or null when it runs elsewhere (apps/relay) or Kafka is not configured. */
export const RELAY = Symbol('Relay');

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
            return relayFromConfig(config, db, store, new Logger('relay'));
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
