import type { SqlDb } from '#persistence';

/** Durable relay positions, in the same database as the events (the event store is the outbox); the table comes from the schema migrations. */
export class RelayCheckpoints {
  constructor(private readonly db: SqlDb) {}

  async get(relay: string): Promise<number> {
    const [row] = await this.db.query<{ position: number }>('SELECT position FROM relay_checkpoints WHERE relay = ?', [relay]);
    return row ? Number(row.position) : 0;
  }

  /** Only moves forward: a stale replica that lost its lease can never rewind the checkpoint. */
  async advance(relay: string, position: number, now: Date): Promise<void> {
    await this.db.run(
      `INSERT INTO relay_checkpoints (relay, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (relay) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
       WHERE relay_checkpoints.position < excluded.position`,
      [relay, position, now.toISOString()],
    );
  }
}
