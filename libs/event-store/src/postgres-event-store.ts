import pg from 'pg';
import { migrate, type PostgresDb, type SqlExecutor, type SqlValue } from '#persistence';
import { canonicalize } from './jcs.js';
import { SqlEventStore, type Clock, type StoreOptions } from './sql-event-store.js';

/** Key of the transaction-level advisory lock that serialises appends (any constant works). */
export const APPEND_LOCK_KEY = 7_214_006_371;
const NOTIFY_CHANNEL = 'model_ledger_events';

/**
 * PostgreSQL adapter. Appends take `pg_advisory_xact_lock`, held until commit, and assign
 * position = max + 1 under it: a later append cannot commit before an earlier one, so readers
 * that page by position never skip an event committed late. After commit it NOTIFYs, so
 * subscribers in other processes wake without waiting for their poll.
 */
export class PostgresEventStore extends SqlEventStore {
  private listenClient?: pg.Client;

  private constructor(
    private readonly pgDb: PostgresDb,
    clock: Clock,
    options: StoreOptions,
  ) {
    super(pgDb, clock, options.upcasters);
  }

  static async open(db: PostgresDb, clock: Clock, options: StoreOptions & { listen?: boolean } = {}): Promise<PostgresEventStore> {
    // Under the migration lock: replicas starting together migrate once (libs/persistence).
    await migrate(db);
    const store = new PostgresEventStore(db, clock, options);
    if (options.listen) await store.listen();
    return store;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: (this.pgDb.pool.options as { connectionString?: string }).connectionString });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    client.on('notification', () => this.notifyListeners());
    this.listenClient = client;
  }

  /**
   * Takes the append lock and queues the NOTIFY in one round trip: NOTIFY is delivered only at
   * commit (and dropped on rollback), so other processes' subscribers wake without a poll.
   */
  protected readonly idempotencyKeyExpr = "(metadata->>'idempotencyKey')";

  protected async lockForAppend(tx: SqlExecutor): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY}), pg_notify('${NOTIFY_CHANNEL}', '')`);
  }
  protected encodeJson(value: unknown): SqlValue {
    return JSON.stringify(value);
  }
  protected decodeJson(value: unknown): unknown {
    return value;
  }
  /** JSONB keeps the value, not the text (it reorders keys), so the canonical text is recomputed. */
  protected canonicalText(value: unknown): string {
    return canonicalize(value);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.listenClient?.end().catch(() => undefined);
  }
}
