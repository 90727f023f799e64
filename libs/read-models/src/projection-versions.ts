import type { Dialect, SqlDb, SqlTx } from '#persistence';
import type { EventStore, RecordedEvent } from '#event-store';
import { ALL_PROJECTIONS, BatchRows, preloadReads, storedProjectionVersions, type Projection } from './projector.js';
import { indexDdl, tableDdl, type ProjectionTable } from './tables.js';

export interface ProjectionRebuild {
  projection: string;
  from: number;
  to: number;
  /** Position the swapped-in tables stand at. */
  position: number;
  /** Events folded into the shadow tables. */
  events: number;
}

export interface UpgradeOptions {
  batchSize?: number;
  now?: () => Date;
  /** After each shadow batch (progress, and a hook for tests). */
  onBatch?: (projection: string, position: number) => void | Promise<void>;
  /** Stops between batches (shutdown); the shadows are dropped and rebuilt at the next start. */
  signal?: AbortSignal;
}

/** The shadow a projection at `version` is rebuilt into: unique per version, so its index names never collide with the live ones. */
export const shadowTable = (table: ProjectionTable, version: number) => `rm_${table}_v${version}`;

async function applyInto(tx: SqlTx, dialect: Dialect, projection: Projection, version: number, events: readonly RecordedEvent[]): Promise<void> {
  const rows = new BatchRows(tx, (t) => shadowTable(t, version), dialect);
  // Only this rebuild writes the shadows (under its lock): rows loaded together stay current.
  await preloadReads(rows, [{ projection, after: 0 }], events);
  for (const e of events) await projection.apply(rows, e);
  await rows.flush();
}

/**
 * Rebuilds every projection whose code version differs from the version its live tables were
 * built with (`projection_versions`; no row = 1), without stopping writes:
 *
 * 1. under a lock (one replica rebuilds; the others skip), the projection's tables are created
 *    afresh from the current DDL as shadows (`rm_<table>_v<version>`), without their secondary
 *    indexes, and every event is folded into them in batches — appends go on, and the live tables
 *    keep serving (and being updated); then the indexes are built over the filled shadows;
 * 2. one short transaction locks the projection's checkpoint row (so the live projector waits),
 *    folds the events appended meanwhile into the shadows, drops the live tables, renames the
 *    shadows into their place, sets the checkpoint to the position reached and records the version.
 *
 * A build older than the stored version leaves the tables alone (Projector retires them), so a
 * rolling deploy never has the old build write old-shaped rows into rebuilt tables. A crash
 * mid-rebuild leaves only shadows, dropped and rebuilt at the next start.
 */
export async function upgradeProjections(
  db: SqlDb,
  store: EventStore,
  projections: readonly Projection[] = ALL_PROJECTIONS,
  options: UpgradeOptions = {},
): Promise<ProjectionRebuild[]> {
  const done: ProjectionRebuild[] = [];
  for (const projection of projections) {
    options.signal?.throwIfAborted();
    const stored = (await storedProjectionVersions(db)).get(projection.name) ?? 1;
    if (stored >= projection.version) continue;
    const lock = await db.tryLock(`projection-rebuild/${projection.name}`);
    if (!lock) continue; // another replica is rebuilding it
    try {
      const rebuilt = await rebuild(db, store, projection, options);
      if (rebuilt) done.push(rebuilt);
    } finally {
      await lock.release();
    }
  }
  return done;
}

async function rebuild(db: SqlDb, store: EventStore, projection: Projection, options: UpgradeOptions): Promise<ProjectionRebuild | undefined> {
  const batchSize = options.batchSize ?? 1000;
  const version = projection.version;
  // Under the lock: re-read, another replica may have finished while we waited for it.
  const from = (await storedProjectionVersions(db)).get(projection.name) ?? 1;
  if (from >= version) return undefined;
  // Nobody reads the shadows until the swap: filled without their secondary indexes (each row
  // would update every index B-tree), which are built once over the filled table before the swap.
  for (const t of projection.tables) {
    await db.exec(`DROP TABLE IF EXISTS ${shadowTable(t, version)}; ${tableDdl(t, shadowTable(t, version), db.dialect, { secondaryIndexes: false })}`);
  }
  let position = 0;
  let folded = 0;
  /** Folds the events after `position` up to `head` (a fixed target: appends go on meanwhile, so "until the end" might never come). */
  const foldUpTo = async (tx: SqlTx, head: number, limit: number): Promise<void> => {
    while (position < head) {
      const events = (await store.readAll({ fromPosition: position, limit })).filter((e) => e.position <= head);
      if (events.length === 0) return;
      await applyInto(tx, db.dialect, projection, version, events);
      position = events[events.length - 1].position;
      folded += events.length;
    }
  };
  // Outside the swap: one batch per transaction, so writers interleave. A few passes, each to the
  // head seen when it started, leave little for the swap to fold while it holds the checkpoint.
  for (let pass = 0; pass < 3; pass++) {
    const head = await store.headPosition();
    if (head - position <= batchSize && pass > 0) break;
    while (position < head) {
      options.signal?.throwIfAborted();
      await db.transaction((tx) => foldUpTo(tx, Math.min(head, position + batchSize), batchSize));
      await options.onBatch?.(projection.name, position);
    }
  }
  // Outside the swap, so the live projector is not held meanwhile; the few rows the swap folds
  // in update the indexes as usual.
  for (const t of projection.tables) {
    options.signal?.throwIfAborted();
    const indexes = indexDdl(t, shadowTable(t, version), db.dialect);
    if (indexes) await db.exec(indexes);
  }
  const forUpdate = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO rm_checkpoints (projection, position) VALUES (?, 0) ON CONFLICT (projection) DO NOTHING', [projection.name]);
    await tx.query(`SELECT position FROM rm_checkpoints WHERE projection = ?${forUpdate}`, [projection.name]);
    // The live projector waits on the checkpoint row from here; events after this head are its to project.
    await foldUpTo(tx, await store.headPosition(), Math.max(batchSize, 1000));
    for (const t of projection.tables) {
      await tx.exec(`DROP TABLE rm_${t}; ALTER TABLE ${shadowTable(t, version)} RENAME TO rm_${t};`);
    }
    await tx.run('UPDATE rm_checkpoints SET position = ? WHERE projection = ?', [position, projection.name]);
    await tx.run(
      'INSERT INTO projection_versions (projection, version, rebuilt_at) VALUES (?, ?, ?) ON CONFLICT (projection) DO UPDATE SET version = excluded.version, rebuilt_at = excluded.rebuilt_at',
      [projection.name, version, (options.now?.() ?? new Date()).toISOString()],
    );
  });
  return { projection: projection.name, from, to: version, position, events: folded };
}
