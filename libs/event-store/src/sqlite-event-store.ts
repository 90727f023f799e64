import { migrate, type SqliteDb, type SqlExecutor, type SqlValue } from '#persistence';
import type { AppendResult, ExpectedRevision, NewEvent } from './port.js';
import { SqlEventStore, type Clock, type StoreOptions } from './sql-event-store.js';

/** Appends written by one group commit at most (bounds how long the writer is held). */
const MAX_BATCH_APPENDS = 256;

interface PendingAppend {
  stream: string;
  events: readonly NewEvent[];
  expected: ExpectedRevision;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/**
 * The embedded default: one SQLite file in WAL mode; its single writer connection orders appends.
 * Appends are group-committed: those that queue while the writer is busy are written by the next
 * transaction together, each checked on its own (a conflict or duplicate fails that append alone,
 * writing nothing) and answered only after the COMMIT, so positions stay gapless and in order.
 */
export class SqliteEventStore extends SqlEventStore {
  private readonly queue: PendingAppend[] = [];
  private flushing = false;

  private constructor(
    private readonly sqlite: SqliteDb,
    clock: Clock,
    options: StoreOptions,
  ) {
    super(sqlite, clock, options.upcasters);
  }

  /** Brings the schema up to date first (libs/persistence migrations; a no-op when it is). */
  static async open(db: SqliteDb, clock: Clock, options: StoreOptions = {}): Promise<SqliteEventStore> {
    await migrate(db);
    return new SqliteEventStore(db, clock, options);
  }

  override append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, events, expected: options.expectedRevision, resolve, reject });
      void this.flush();
    });
  }

  /** One transaction in flight: appends arriving meanwhile form the next batch. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) await this.writeBatch();
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(): Promise<void> {
    let batch: PendingAppend[] = [];
    const outcomes: ({ ok: true; result: AppendResult; appended: boolean } | { ok: false; err: unknown })[] = [];
    try {
      await this.db.transaction(async (tx) => {
        // Taken once the writer is ours, so appends that queued while waiting for it join this batch.
        batch = this.queue.splice(0, MAX_BATCH_APPENDS);
        for (const a of batch) {
          try {
            const r = await this.appendInTx(tx, a.stream, a.events, a.expected);
            outcomes.push({ ok: true, result: { revision: r.revision, position: r.position }, appended: r.appended });
          } catch (err) {
            // SQLite rolled the whole transaction back by itself (disk full, I/O error): the
            // appends before this one are gone too, so the batch fails as a whole.
            if (!this.sqlite.writer.isTransaction) throw err;
            // Otherwise appendInTx wrote nothing (its one INSERT is atomic): the others go on.
            outcomes.push({ ok: false, err });
          }
        }
        await this.beforeCommit(tx);
      });
    } catch (err) {
      // The transaction itself failed (the write lock not granted, disk full, I/O error): nothing
      // of this batch was written. If it never started, the appends are still queued: fail them.
      if (batch.length === 0) batch = this.queue.splice(0, MAX_BATCH_APPENDS);
      for (const a of batch) a.reject(err);
      return;
    }
    if (outcomes.some((o) => o.ok && o.appended)) this.notifyListeners();
    batch.forEach((a, i) => {
      const o = outcomes[i];
      if (o.ok) a.resolve(o.result);
      else a.reject(o.err);
    });
  }

  protected readonly idempotencyKeyExpr = "json_extract(metadata, '$.idempotencyKey')";

  protected async lockForAppend(_tx: SqlExecutor): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }
  protected encodeJson(value: unknown): SqlValue {
    return JSON.stringify(value);
  }
  protected decodeJson(value: unknown): unknown {
    return JSON.parse(value as string);
  }
  /** Appends store the canonical text itself, so the stored bytes are the hashed bytes. */
  protected canonicalText(value: unknown): string {
    return value as string;
  }
}
