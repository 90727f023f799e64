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

const ORDER: Record<string, string> = {
  models: 'name',
  versions: 'model, version',
  aliases: 'model, alias',
  approval_queue: 'model, version',
  audit: 'position',
  checkpoints: 'projection',
};

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
    const filter = table === 'audit' ? ` WHERE position <= ${position}` : '';
    const dump = async (prefix: string) =>
      (await db.query(`SELECT * FROM ${prefix}${table}${filter} ORDER BY ${ORDER[table]}`)).map((r) => JSON.stringify(r));
    const liveRows = new Set(await dump('rm_'));
    const rebuiltRows = new Set(await dump('rb_'));
    const onlyLive = [...liveRows].filter((r) => !rebuiltRows.has(r)).length;
    const onlyRebuilt = [...rebuiltRows].filter((r) => !liveRows.has(r)).length;
    if (onlyLive || onlyRebuilt) differences.push({ table, onlyLive, onlyRebuilt });
  }
  await dropReadModelTables(db, 'rb_');
  return { position, identical: differences.length === 0, differences };
}
