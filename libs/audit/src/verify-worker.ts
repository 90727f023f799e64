import { parentPort, workerData } from 'node:worker_threads';
import type { JWK } from 'jose';
import { PostgresEventStore, SqliteEventStore } from '#event-store';
import { PostgresDb, SqliteDb } from '#persistence';
import type { StoreSpec } from './parallel-verify.js';
import { verifyStore } from './verify.js';

/** One chunk of verifyStoreParallel: opens the store itself, verifies [from, to], posts the report. */
const { spec, jwks, from, to, pageSize } = workerData as { spec: StoreSpec; jwks: { keys: JWK[] }; from: number; to: number; pageSize: number };
const clock = { now: () => new Date() };
if (spec.kind === 'sqlite') {
  const db = new SqliteDb(spec.file);
  const store = await SqliteEventStore.open(db, clock);
  parentPort!.postMessage(await verifyStore(store, jwks, { from, to, pageSize }));
  await db.close();
} else {
  const db = new PostgresDb(spec.url, { max: 1, applicationName: 'model-ledger-verify' });
  const store = PostgresEventStore.reader(db, clock);
  parentPort!.postMessage(await verifyStore(store, jwks, { from, to, pageSize }));
  await db.close();
}
