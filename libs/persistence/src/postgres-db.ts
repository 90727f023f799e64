import pg from 'pg';
import type { HeldLock, Row, SqlDb, SqlExecutor, SqlTx, SqlValue } from './sql-db.js';

// Positions and revisions fit in a double for any realistic store; return int8 as number.
pg.types.setTypeParser(20, (v) => Number(v));

const rewritten = new Map<string, string>();
/** `?` → `$1..$n`. Statements here never contain a literal question mark. */
export function toPgPlaceholders(sql: string): string {
  let out = rewritten.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    rewritten.set(sql, out);
  }
  return out;
}

/** Namespace (first key) of the advisory locks taken by `lockedTransaction`: 'mlmg'. */
export const LOCKED_TRANSACTION_CLASS = 0x6d6c6d67;

function executor(client: pg.Pool | pg.PoolClient): SqlTx {
  return {
    exec: async (sql: string) => {
      await client.query(sql);
    },
    query: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      (await client.query(toPgPlaceholders(sql), params as unknown[])).rows as T[],
    run: async (sql: string, params: readonly SqlValue[] = []) => ({
      changes: (await client.query(toPgPlaceholders(sql), params as unknown[])).rowCount ?? 0,
    }),
  };
}

export class PostgresDb implements SqlDb {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly exec0: SqlExecutor;

  constructor(connectionString: string, options: { max?: number; applicationName?: string } = {}) {
    this.pool = new pg.Pool({ connectionString, max: options.max ?? 10, application_name: options.applicationName ?? 'model-ledger' });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.exec0 = executor(this.pool);
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exec0.query<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.exec0.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.inTransaction(undefined, fn);
  }

  /**
   * The lock is keyed by schema and name (advisory locks are database-wide; tables are per
   * schema) and held until commit or rollback, so a crash mid-migration releases it.
   */
  lockedTransaction<T>(name: string, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.inTransaction(name, fn);
  }

  async tryLock(name: string): Promise<HeldLock | undefined> {
    const client = await this.pool.connect();
    const key = "$1, hashtext(current_schema() || '/' || $2)";
    try {
      const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${key}) AS ok`, [LOCKED_TRANSACTION_CLASS, name]);
      if (rows[0].ok) {
        return {
          release: async () => {
            try {
              await client.query(`SELECT pg_advisory_unlock(${key})`, [LOCKED_TRANSACTION_CLASS, name]);
              client.release();
            } catch (err) {
              client.release(err as Error);
            }
          },
        };
      }
      client.release();
      return undefined;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  private async inTransaction<T>(lock: string | undefined, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client has no pool listener: when the server goes away mid-transaction
    // (restart, failover) its 'error' event would otherwise crash the process. The pending query
    // rejects with the same error, and the broken client is destroyed on release, not reused.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      if (lock !== undefined) {
        await client.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || $2))", [LOCKED_TRANSACTION_CLASS, lock]);
      }
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken ?? undefined);
    }
  }

  /** Rows as arrays in column order: no object per row for long sequential scans (audit verify, export). */
  async queryArrays(sql: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
    return (await this.pool.query({ text: toPgPlaceholders(sql), values: params as unknown[], rowMode: 'array' })).rows as unknown[][];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
