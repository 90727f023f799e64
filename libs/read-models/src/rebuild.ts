import type { SqlDb } from '#persistence';
import type { EventStore } from '#event-store';
import { Projector, type Projection } from './projector.js';
import { READ_MODEL_TABLES, createReadModelTables, dropReadModelTables } from './tables.js';

export interface RebuildReport {
  position: number;
  identical: boolean;
  /** Per table: rows only in the live model, rows only in the rebuilt one. */
  differences: { table: string; onlyLive: number; onlyRebuilt: number }[];
}

/**
 * Replays every event from position 0 into `rb_` tables, then compares them row for row with
 * the live `rm_` tables up to the same position. Live projections keep running meanwhile, so the
 * live side is first brought to at least the rebuilt position.
 */
export async function rebuildAndCompare(
  db: SqlDb,
  store: EventStore,
  options: { onProgress?: (position: number, head: number) => void; live?: Projector; projections?: readonly Projection[] } = {},
): Promise<RebuildReport> {
  await dropReadModelTables(db, 'rb_');
  // Only compared row by row in key order (primary keys): the query indexes would only slow the fill.
  await createReadModelTables(db, 'rb_', { secondaryIndexes: false });
  const head = await store.headPosition();
  const rebuilt = new Projector(db, store, { prefix: 'rb_', batchSize: 1000, ...(options.projections ? { projections: options.projections } : {}) });
  let position = await rebuilt.catchUp(undefined, (p) => options.onProgress?.(p, head));
  const live = options.live ?? new Projector(db, store, options.projections ? { projections: options.projections } : {});
  // Writes may land meanwhile: compare only once both sides stand at the same position.
  let livePosition = await live.catchUp(position);
  while (livePosition !== position) {
    position = await rebuilt.catchUp(livePosition);
    livePosition = await live.catchUp(position);
  }
  const differences: RebuildReport['differences'] = [];
  for (const table of READ_MODEL_TABLES) {
    if (table === 'checkpoints') continue;
    const filter = table === 'audit' ? ` WHERE position <= ${Number(position)}` : '';
    // Compared by the database (EXCEPT: whole rows, NULLs alike), so a store of millions of rows
    // is not held in this process twice as text.
    const only = async (a: string, b: string) =>
      Number((await db.query<{ n: number }>(`SELECT count(*) AS n FROM (SELECT * FROM ${a}${table}${filter} EXCEPT SELECT * FROM ${b}${table}${filter}) d`))[0].n);
    const onlyLive = await only('rm_', 'rb_');
    const onlyRebuilt = await only('rb_', 'rm_');
    if (onlyLive || onlyRebuilt) differences.push({ table, onlyLive, onlyRebuilt });
  }
  await dropReadModelTables(db, 'rb_');
  return { position, identical: differences.length === 0, differences };
}
