import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { openLedgerStore, type ChainReader, type OpenedStore, type SqlEventStore, type StreamCutter } from '#event-store';
import { describeMigration, uuidv7, type SqlDb } from '#persistence';
import { ModelStreamReader, Projector, RegistryQueries, SqlSnapshotStore, upgradeProjections, type SnapshotStore } from '#read-models';
import { TokenVerifier, ensureDevSigningKey } from '#auth';
import type { AppConfig } from '#config';
import { IdempotencyStore } from '../http/idempotency.js';
import { catchUpInWorker, catchUpWorkerAvailable } from './catch-up-in-worker.js';
import { loadApproverDirectory } from './approvers-loader.js';
import { loadPolicy, recordPolicyIfChanged } from './policy-loader.js';
import { APPROVERS, APP_CONFIG, CHAIN_READER, CLOCK, EVENT_STORE, ID_GENERATOR, POLICY, SNAPSHOT_STORE, SQL_DB, STREAM_CUTTER, type Clock, type IdGenerator } from './tokens.js';

export const systemClock: Clock = { now: () => new Date() };
export const uuidV7Generator: IdGenerator = { next: () => uuidv7() };

/** The opened database and store, for SQL_DB and EVENT_STORE (one open, one migration). */
const OPENED_STORE = Symbol('OPENED_STORE');

/** Chooses the adapters from configuration; everything else depends only on the ports. */
@Global()
@Module({})
export class PersistenceModule implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('Projections');
  private readonly stopUpgrade = new AbortController();
  private upgrading?: Promise<void>;

  constructor(
    @Inject(Projector) private readonly projector: Projector,
    @Inject(EVENT_STORE) private readonly store: SqlEventStore,
    @Inject(SQL_DB) private readonly db: SqlDb,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
          useFactory: async (store: SqlEventStore, ids: IdGenerator) => {
            const policy = loadPolicy(config);
            await recordPolicyIfChanged(store, ids, policy, config.POLICY_CHANGED_BY);
            return policy;
          },
          inject: [EVENT_STORE, ID_GENERATOR],
        },
        { provide: APPROVERS, useFactory: () => loadApproverDirectory(config) },
        {
          provide: OPENED_STORE,
          useFactory: async (clock: Clock) => {
            // Migrates before anything reads a table; replicas starting together wait for one another here.
            const opened = await openLedgerStore(config, clock, { listen: true, poolSize: 20 });
            if (opened.migration && opened.migration.applied.length > 0) new Logger('Migrations').log(describeMigration(opened.migration));
            return opened;
          },
          inject: [CLOCK],
        },
        { provide: SQL_DB, useFactory: (opened: OpenedStore) => opened.db, inject: [OPENED_STORE] },
        { provide: EVENT_STORE, useFactory: (opened: OpenedStore) => opened.store, inject: [OPENED_STORE] },
        // The SQL store has both optional capabilities; another adapter would bind its own (or none).
        { provide: CHAIN_READER, useFactory: (store: SqlEventStore): ChainReader => store, inject: [EVENT_STORE] },
        { provide: STREAM_CUTTER, useFactory: (store: SqlEventStore): StreamCutter => store, inject: [EVENT_STORE] },
        { provide: Projector, useFactory: (db: SqlDb, store: SqlEventStore) => new Projector(db, store), inject: [SQL_DB, EVENT_STORE] },
        { provide: RegistryQueries, useFactory: (db: SqlDb) => new RegistryQueries(db), inject: [SQL_DB] },
        {
          provide: IdempotencyStore,
          useFactory: (db: SqlDb) =>
            new IdempotencyStore(db, { retentionMs: config.IDEMPOTENCY_RETENTION_HOURS * 3600_000, leaseMs: config.IDEMPOTENCY_LEASE_SECONDS * 1000 }),
          inject: [SQL_DB],
        },
        { provide: SNAPSHOT_STORE, useFactory: (db: SqlDb): SnapshotStore => new SqlSnapshotStore(db), inject: [SQL_DB] },
        // One reader of model streams (with snapshots) for the command path and time travel.
        {
          provide: ModelStreamReader,
          useFactory: (store: SqlEventStore, cutter: StreamCutter, snapshots: SnapshotStore) => new ModelStreamReader(store, cutter, snapshots),
          inject: [EVENT_STORE, STREAM_CUTTER, SNAPSHOT_STORE],
        },
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
      exports: [
        APPROVERS,
        APP_CONFIG,
        CLOCK,
        ID_GENERATOR,
        POLICY,
        SQL_DB,
        EVENT_STORE,
        CHAIN_READER,
        STREAM_CUTTER,
        SNAPSHOT_STORE,
        Projector,
        ModelStreamReader,
        RegistryQueries,
        IdempotencyStore,
        TokenVerifier,
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.catchUpFarBehindInWorker();
    await this.projector.catchUp();
    this.projector.start();
    // A projection whose version changed is rebuilt beside the live tables while the app serves.
    this.upgrading = upgradeProjections(this.db, this.store, undefined, { signal: this.stopUpgrade.signal }).then(
      (done) => {
        for (const r of done) this.log.log(`projection '${r.projection}' rebuilt from version ${r.from} to ${r.to}: ${r.events} events, swapped in at position ${r.position}`);
      },
      (err: unknown) => {
        if (!this.stopUpgrade.signal.aborted) this.log.error(`projection rebuild failed (retried at the next start): ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  /**
   * A large backlog (a new replica, restored or rebuilt read models) is projected in a worker
   * thread: this thread's V8 isolate then never runs the projection at that scale, which left it
   * measurably slower serving requests afterwards (catch-up.worker.ts). The rest, and any
   * failure of the worker, is caught up here as before.
   */
  private async catchUpFarBehindInWorker(): Promise<void> {
    const threshold = this.config.CATCH_UP_WORKER_EVENTS;
    if (threshold === 0 || !catchUpWorkerAvailable()) return;
    const behind = (await this.store.headPosition()) - (await this.projector.checkpoint());
    if (behind < threshold) return;
    const started = Date.now();
    try {
      const position = await catchUpInWorker(this.config);
      this.log.log(`caught up ${behind} events in a worker thread in ${((Date.now() - started) / 1000).toFixed(1)} s (read models at position ${position})`);
    } catch (err) {
      this.log.warn(`catch-up worker failed (${err instanceof Error ? err.message : String(err)}); catching up in this thread`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopUpgrade.abort();
    await this.upgrading;
    await this.projector.stop();
    await this.store.close();
    await this.db.close();
  }
}
