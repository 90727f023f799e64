import type { SqlDb } from '../../persistence/src/index.js';

/**
 * Persisted time-travel snapshots: a model's folded state at every SNAPSHOT_EVERY-th revision,
 * so a cold question folds at most that many events. A cache, never the source of truth: rows
 * are derived from the event store and can be deleted at any time (they are written again as
 * the snapshotter follows the store from its checkpoint, or lazily by the next question).
 * The row with stream '' holds the snapshotter's checkpoint in `position`.
 */
export const SNAPSHOTS_DDL = `
CREATE TABLE IF NOT EXISTS model_snapshots (
  stream TEXT NOT NULL,
  revision BIGINT NOT NULL,
  position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (stream, revision)
);`;

const CHECKPOINT_STREAM = '';

export interface StoredSnapshot<T> {
  revision: number;
  position: number;
  doc: T;
}

export class SnapshotStore {
  constructor(private readonly db: SqlDb) {}

  static async createTable(db: SqlDb): Promise<void> {
    await db.exec(SNAPSHOTS_DDL);
  }

  /** The latest snapshot of `stream` taken at or before `position`. */
  async latest<T>(stream: string, position: number): Promise<StoredSnapshot<T> | undefined> {
    const [row] = await this.db.query<{ revision: number; position: number; doc: string }>(
      'SELECT revision, position, doc FROM model_snapshots WHERE stream = ? AND position <= ? ORDER BY revision DESC LIMIT 1',
      [stream, position],
    );
    return row ? { revision: Number(row.revision), position: Number(row.position), doc: JSON.parse(row.doc) as T } : undefined;
  }

  async save(stream: string, revision: number, position: number, doc: unknown): Promise<void> {
    await this.db.run('INSERT INTO model_snapshots (stream, revision, position, doc) VALUES (?, ?, ?, ?) ON CONFLICT (stream, revision) DO NOTHING', [
      stream,
      revision,
      position,
      JSON.stringify(doc),
    ]);
  }

  async checkpoint(): Promise<number> {
    const [row] = await this.db.query<{ position: number }>('SELECT position FROM model_snapshots WHERE stream = ? AND revision = -1', [CHECKPOINT_STREAM]);
    return row ? Number(row.position) : 0;
  }

  async setCheckpoint(position: number): Promise<void> {
    await this.db.run(
      'INSERT INTO model_snapshots (stream, revision, position, doc) VALUES (?, -1, ?, ?) ON CONFLICT (stream, revision) DO UPDATE SET position = excluded.position',
      [CHECKPOINT_STREAM, position, '{}'],
    );
  }
}
