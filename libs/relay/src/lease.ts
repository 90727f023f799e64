import pg from 'pg';

/** Who may publish: only the holder of the lease runs the relay loop. */
export interface Lease {
  /** Tries to take (or confirm) the lease; true while this process holds it. */
  acquire(): Promise<boolean>;
  readonly held: boolean;
  release(): Promise<void>;
}

/**
 * SQLite: one process owns the database file (the embedded mode runs one API process), so
 * that process owns the relay.
 */
export class LocalLease implements Lease {
  held = false;
  async acquire(): Promise<boolean> {
    this.held = true;
    return true;
  }
  async release(): Promise<void> {
    this.held = false;
  }
}

/** Namespace of the relay's advisory locks (the event store's append lock uses a bigint key). */
const LOCK_CLASS = 0x6d6c7279; // 'mlry'

/**
 * PostgreSQL: a session-level advisory lock on a dedicated connection, keyed by schema and relay
 * name (advisory locks are database-wide; the events table is per schema). It needs no clock, no
 * lease row and no renewal; when the holder dies or its connection drops, PostgreSQL releases
 * it at once and another replica's next `acquire` takes over.
 */
export class PgAdvisoryLease implements Lease {
  private client?: pg.Client;
  held = false;

  constructor(
    private readonly connectionString: string,
    private readonly name: string,
  ) {}

  async acquire(): Promise<boolean> {
    if (this.held && this.client) return true;
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.connectionString, application_name: `model-ledger-relay-lease:${this.name}` });
        const lost = () => {
          this.held = false;
          if (this.client === client) this.client = undefined;
        };
        client.on('error', lost);
        client.on('end', lost);
        await client.connect();
        this.client = client;
      }
      const { rows } = await this.client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, hashtext(current_schema() || '/' || $2)) AS ok", [LOCK_CLASS, this.name]);
      this.held = rows[0].ok === true;
      return this.held;
    } catch {
      this.held = false;
      const c = this.client;
      this.client = undefined;
      await c?.end().catch(() => undefined);
      return false;
    }
  }

  async release(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.held = false;
    await c?.end().catch(() => undefined);
  }
}
