import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { StoreLocation } from '#event-store';

const WORKER = new URL('./catch-up.worker.js', import.meta.url);

/** False when running from sources (tests under ts-jest): the worker runs only from the build. */
export function catchUpWorkerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER));
}

/** Projects the read models to the head in a worker thread; resolves with the position reached. */
export function catchUpInWorker(where: StoreLocation): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { EVENT_STORE: where.EVENT_STORE, DATABASE_URL: where.DATABASE_URL, DATA_DIR: where.DATA_DIR } });
    let position: number | undefined;
    worker.once('message', (m: { position: number }) => (position = m.position));
    worker.once('error', reject);
    worker.once('exit', (code) => (position !== undefined && code === 0 ? resolve(position) : reject(new Error(`catch-up worker exited with code ${code}`))));
  });
}
