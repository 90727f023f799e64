import type { SqlDb } from '#persistence';

const CHECKPOINT_STREAM = '';

export interface StoredSnapshot<T> {
  revision: number;
  position: number;
  doc: T;
}

/**
 * Persisted time-travel snapshots (port): a model's folded state at every SNAPSHOT_EVERY-th
 * revision, so a cold question folds at most that many events. A cache, never the source of
 * truth: rows are derived from the event store and can be deleted at any time (they are written
 * again as the snapshotter follows the store from its checkpoint, or lazily by the next question).
 */
export interface SnapshotStore {
  /** The latest snapshot of `stream` taken at or before `position`. */
  latest<T>(stream: string, position: number): Promise<StoredSnapshot<T> | undefined>;
  /** The last save for (stream, revision) wins (a newer build may fold to a different shape). */
  save(stream: string, revision: number, position: number, doc: unknown): Promise<void>;
  /** Position up to which the snapshotter has followed the store (0: never ran). */
  checkpoint(): Promise<number>;
  setCheckpoint(position: number): Promise<void>;
  /**
   * The events after position `after` and up to `upTo` that end a run of `every` revisions of their
   * stream (revision + 1 a multiple of `every`), oldest first: where snapshots are due. Answered
   * from the events' positions and revisions alone, so following a large store decodes no event.
   */
  due(after: number, upTo: number, every: number): Promise<{ stream: string; revision: number; position: number }[]>;
}

/**
 * SQL adapter over `model_snapshots` (migration 4). The row with stream '' and revision -1 holds
 * the snapshotter's checkpoint in `position`.
 */
export class SqlSnapshotStore implements SnapshotStore {
  constructor(private readonly db: SqlDb) {}

  async latest<T>(stream: string, position: number): Promise<StoredSnapshot<T> | undefined> {
    const [row] = await this.db.query<{ revision: number; position: number; doc: string }>(
      'SELECT revision, position, doc FROM model_snapshots WHERE stream = ? AND position <= ? ORDER BY revision DESC LIMIT 1',
      [stream, position],
    );
    return row ? { revision: Number(row.revision), position: Number(row.position), doc: JSON.parse(row.doc) as T } : undefined;
  }

  async save(stream: string, revision: number, position: number, doc: unknown): Promise<void> {
    await this.db.run('INSERT INTO model_snapshots (stream, revision, position, doc) VALUES (?, ?, ?, ?) ON CONFLICT (stream, revision) DO UPDATE SET position = excluded.position, doc = excluded.doc', [
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

  async due(after: number, upTo: number, every: number): Promise<{ stream: string; revision: number; position: number }[]> {
    const rows = await this.db.query<{ stream: string; revision: number; position: number }>(
      'SELECT stream, revision, position FROM events WHERE position > ? AND position <= ? AND (revision + 1) % ? = 0 ORDER BY position',
      [after, upTo, every],
    );
    return rows.map((r) => ({ stream: r.stream, revision: Number(r.revision), position: Number(r.position) }));
  }

  async setCheckpoint(position: number): Promise<void> {
    await this.db.run(
      'INSERT INTO model_snapshots (stream, revision, position, doc) VALUES (?, -1, ?, ?) ON CONFLICT (stream, revision) DO UPDATE SET position = excluded.position',
      [CHECKPOINT_STREAM, position, '{}'],
    );
  }
}
