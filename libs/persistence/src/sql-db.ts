/**
 * The small SQL surface shared by the event store and the read models, so one implementation
 * of each serves both SQLite and PostgreSQL. Statements use `?` placeholders; the PostgreSQL
 * implementation rewrites them to `$n`.
 */
/** A bound parameter. Arrays are for PostgreSQL only (`unnest(?::text[])`); SQLite cannot bind them. */
export type SqlValue = string | number | bigint | null | Uint8Array | readonly (string | number | null)[];
export type Row = Record<string, unknown>;
export type Dialect = 'sqlite' | 'postgres';

export interface SqlExecutor {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface HeldLock {
  release(): Promise<void>;
}

/** The executor inside a transaction; `exec` runs DDL (several statements) in it. */
export interface SqlTx extends SqlExecutor {
  exec(sql: string): Promise<void>;
}

export interface SqlDb extends SqlExecutor {
  readonly dialect: Dialect;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * A transaction that excludes every other `lockedTransaction` with the same name on this
   * database (this schema, on PostgreSQL), across processes: schema migrations run in one, so
   * two replicas starting together never migrate at once; the second waits, then finds the work
   * done. PostgreSQL: `pg_advisory_xact_lock`; SQLite: `BEGIN IMMEDIATE` (the database's one
   * write lock, taken at BEGIN and waited for up to busy_timeout).
   */
  lockedTransaction<T>(name: string, fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  /**
   * Takes the named lock if it is free, for work longer than a transaction (a projection
   * rebuild); undefined when another holder has it. PostgreSQL: a session advisory lock on a
   * connection held until release (or until that connection dies). SQLite: within this process,
   * the only one that opens the file.
   */
  tryLock(name: string): Promise<HeldLock | undefined>;
  /** Runs DDL (several statements). */
  exec(sql: string): Promise<void>;
  /** Optional fast path: reader rows as arrays in column order (long sequential scans). */
  queryArrays?(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Serialises async critical sections: SQLite has one writer connection. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
