/**
 * Projects a SQLite ledger's read models to the head in a process of its own (for resolve-ab's
 * AB_PREPROJECT: the API then starts with nothing to catch up).
 *   node dist/test/bench/project-read-models.js <ledger.db>
 */
import { migrate, SqliteDb } from '#persistence';
import { SqliteEventStore } from '#event-store';
import { Projector } from '#read-models';

const db = new SqliteDb(process.argv[2]);
await migrate(db);
const store = await SqliteEventStore.open(db, { now: () => new Date() });
const position = await new Projector(db, store).catchUp();
await store.close();
await db.close();
console.log(`read models projected to position ${position}`);
