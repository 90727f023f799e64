import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { Mutex, type HeldLock, type Row, type SqlDb, type SqlExecutor, type SqlTx, type SqlValue } from './sql-db.js';

class StatementCache {
  private readonly cache = new Map<string, StatementSync>();
  constructor(private readonly db: DatabaseSync) {}
  get(sql: string): StatementSync {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** SQLite binds scalars only; arrays are a PostgreSQL parameter type (unnest) and are refused here. */
function bindable(params: readonly SqlValue[]): SQLInputValue[] {
  for (const p of params) if (Array.isArray(p)) throw new TypeError('SQLite cannot bind an array parameter');
  return params as SQLInputValue[];
}

function executor(cache: StatementCache, db: DatabaseSync): SqlTx {
  return {
    exec: async (sql: string) => db.exec(sql),
    query: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => cache.get(sql).all(...bindable(params)) as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: Number(cache.get(sql).run(...bindable(params)).changes) }),
  };
}

/**
 * One writer connection (all writes serialised through a mutex, so an async transaction never
 * interleaves with another) and one reader connection, which under WAL sees only committed data.
 */
export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  readonly writer: DatabaseSync;
  private readonly reader: DatabaseSync;
  private readonly writeMutex = new Mutex();
  private readonly writerExec: SqlTx;
  private readonly readerExec: SqlExecutor;

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.writer = new DatabaseSync(file);
    this.writer.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;');
    this.reader = file === ':memory:' ? this.writer : new DatabaseSync(file);
    if (this.reader !== this.writer) this.reader.exec('PRAGMA busy_timeout=10000;');
    this.writerExec = executor(new StatementCache(this.writer), this.writer);
    this.begin = this.writer.prepare('BEGIN IMMEDIATE');
    this.commit = this.writer.prepare('COMMIT');
    this.readerExec = executor(new StatementCache(this.reader), this.reader);
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.readerExec.query<T>(sql, params);
  }

  private readonly arrayStatements = new Map<string, StatementSync>();
  /** Reader rows as arrays in column order: much cheaper than objects for long sequential scans (audit verify, export). */
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    let stmt = this.arrayStatements.get(sql);
    if (!stmt) {
      stmt = this.reader.prepare(sql);
      stmt.setReturnArrays(true);
      this.arrayStatements.set(sql, stmt);
    }
    return stmt.all(...bindable(params)) as unknown as unknown[][];
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.transaction((tx) => tx.run(sql, params));
  }

  // Prepared once: exec() would parse them again for every transaction (measurable on small appends).
  private readonly begin: StatementSync;
  private readonly commit: StatementSync;

  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.writeMutex.run(async () => {
      this.begin.run();
      try {
        const result = await fn(this.writerExec);
        this.commit.run();
        return result;
      } catch (err) {
        // SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, …): a second
        // ROLLBACK would then throw "no transaction is active" and hide the real cause.
        if (this.writer.isTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** BEGIN IMMEDIATE takes the file's write lock at once, so another process's locked transaction waits (busy_timeout) until this one commits. */
  lockedTransaction<T>(_name: string, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.transaction(fn);
  }

  private readonly held = new Set<string>();
  async tryLock(name: string): Promise<HeldLock | undefined> {
    if (this.held.has(name)) return undefined;
    this.held.add(name);
    return { release: async () => void this.held.delete(name) };
  }

  async exec(sql: string): Promise<void> {
    await this.writeMutex.run(async () => this.writer.exec(sql));
  }

  async ping(): Promise<void> {
    this.reader.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.writeMutex.run(async () => {
      if (this.reader !== this.writer) this.reader.close();
      this.writer.close();
    });
  }
}
