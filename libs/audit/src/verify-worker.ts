import { parentPort, workerData } from 'node:worker_threads';
import type { JWK } from 'jose';
import { openLedgerStore } from '#event-store';
import type { StoreSpec } from './parallel-verify.js';
import { verifyStore } from './verify.js';

/** One chunk of verifyStoreParallel: opens the store itself, verifies [from, to], posts the report. */
const { spec, jwks, from, to, pageSize } = workerData as { spec: StoreSpec; jwks: { keys: JWK[] }; from: number; to: number; pageSize: number };
const clock = { now: () => new Date() };
const { db, store } = await openLedgerStore(spec, clock, { readOnly: true, poolSize: 1, applicationName: 'model-ledger-verify' });
try {
  parentPort!.postMessage(await verifyStore(store, jwks, { from, to, pageSize }));
} finally {
  await store.close();
  await db.close();
}
