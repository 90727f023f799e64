import { Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { PostgresEventStore, SqliteEventStore, type EventStore } from '../../../../libs/event-store/src/index.js';
import { PostgresDb, SqliteDb, uuidv7, type SqlDb } from '../../../../libs/persistence/src/index.js';
import { Projector, RegistryQueries, SnapshotStore, createReadModelTables } from '../../../../libs/read-models/src/index.js';
import { TokenVerifier, ensureDevSigningKey } from '../../../../libs/auth/src/index.js';
import type { AppConfig } from '../config.js';
import { IdempotencyStore } from '../http/idempotency.js';
import { loadApproverDirectory } from './approvers-loader.js';
import { loadPolicy, recordPolicyIfChanged } from './policy-loader.js';
import { APPROVERS, APP_CONFIG, CLOCK, EVENT_STORE, ID_GENERATOR, POLICY, SQL_DB, type Clock, type IdGenerator } from './tokens.js';

export const systemClock: Clock = { now: () => new Date() };
export const uuidV7Generator: IdGenerator = { next: () => uuidv7() };

async function openDb(config: AppConfig): Promise<SqlDb> {
  if (config.EVENT_STORE === 'postgres') return new PostgresDb(config.DATABASE_URL!, { max: 20 });
  return new SqliteDb(join(config.DATA_DIR, 'ledger.db'));
}

async function openStore(db: SqlDb, clock: Clock): Promise<EventStore> {
  if (db instanceof PostgresDb) return PostgresEventStore.open(db, clock, { listen: true });
  return SqliteEventStore.open(db as SqliteDb, clock);
}

/** Chooses the adapters from configuration; everything else depends only on the ports. */
@Global()
@Module({})
export class PersistenceModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(Projector) private readonly projector: Projector,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DB) private readonly db: SqlDb,
  ) {}

  static forRoot(config: AppConfig, overrides: { clock?: Clock; ids?: IdGenerator } = {}) {
    return {
      module: PersistenceModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: ID_GENERATOR, useValue: overrides.ids ?? uuidV7Generator },
        {
          provide: POLICY,
          useFactory: async (store: EventStore, ids: IdGenerator) => {
            const policy = loadPolicy(config);
            await recordPolicyIfChanged(store, ids, policy, config.POLICY_CHANGED_BY);
            return policy;
          },
          inject: [EVENT_STORE, ID_GENERATOR],
        },
        { provide: APPROVERS, useFactory: () => loadApproverDirectory(config) },
        {
          provide: SQL_DB,
          useFactory: async () => {
            const db = await openDb(config);
            await createReadModelTables(db, 'rm_');
            await IdempotencyStore.createTable(db);
            await SnapshotStore.createTable(db);
            return db;
          },
        },
        { provide: EVENT_STORE, useFactory: (db: SqlDb, clock: Clock) => openStore(db, clock), inject: [SQL_DB, CLOCK] },
        { provide: Projector, useFactory: (db: SqlDb, store: EventStore) => new Projector(db, store), inject: [SQL_DB, EVENT_STORE] },
        { provide: RegistryQueries, useFactory: (db: SqlDb) => new RegistryQueries(db), inject: [SQL_DB] },
        {
          provide: IdempotencyStore,
          useFactory: (db: SqlDb) =>
            new IdempotencyStore(db, { retentionMs: config.IDEMPOTENCY_RETENTION_HOURS * 3600_000, leaseMs: config.IDEMPOTENCY_LEASE_SECONDS * 1000 }),
          inject: [SQL_DB],
        },
        { provide: SnapshotStore, useFactory: (db: SqlDb) => new SnapshotStore(db), inject: [SQL_DB] },
        {
          provide: TokenVerifier,
          useFactory: async () => {
            const base = {
              issuer: config.JWT_ISSUER,
              audience: config.JWT_AUDIENCE,
              algorithms: config.JWT_ALGORITHMS,
              clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
            };
            if (config.JWKS_URL) return TokenVerifier.create({ ...base, key: { jwksUrl: config.JWKS_URL } });
            if (config.JWT_PUBLIC_KEY_FILE) return TokenVerifier.create({ ...base, key: { publicKeyFile: config.JWT_PUBLIC_KEY_FILE } });
            if (config.NODE_ENV === 'production') {
              throw new Error('NODE_ENV=production needs JWKS_URL or JWT_PUBLIC_KEY_FILE; the development signing key is refused in production');
            }
            const dev = await ensureDevSigningKey(config.DATA_DIR);
            return TokenVerifier.create({ ...base, algorithms: ['EdDSA'], key: { jwk: dev.publicJwk } });
          },
        },
      ],
      exports: [APPROVERS, APP_CONFIG, CLOCK, ID_GENERATOR, POLICY, SQL_DB, EVENT_STORE, Projector, RegistryQueries, IdempotencyStore, SnapshotStore, TokenVerifier],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.projector.catchUp();
    this.projector.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projector.stop();
    await this.store.close();
    await this.db.close();
  }
}
