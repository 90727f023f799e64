import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JWK } from 'jose';
import { verifyStore, type VerifyReport } from './verify.js';
import type { ChainReader, StoreLocation } from '#event-store';

/** Verifies positions [from, to] (each chunk anchored on the stored hash of the position before it). */
export type ChunkRunner = (range: { from: number; to: number }) => Promise<VerifyReport>;

/**
 * The chain cut into chunks verified independently — each anchored on the *stored* hash before
 * it, which the previous chunk checks against its own recomputation — then joined in position
 * order: counts add up, and the first chunk that breaks decides the verdict (later chunks are
 * not counted). `parallel` chunks run at once.
 */
export async function verifyInChunks(range: { from: number; to: number }, chunkSize: number, parallel: number, run: ChunkRunner): Promise<VerifyReport> {
  const chunks: { from: number; to: number }[] = [];
  for (let from = range.from; from <= range.to; from += chunkSize) chunks.push({ from, to: Math.min(range.to, from + chunkSize - 1) });
  const results: Promise<VerifyReport>[] = new Array(chunks.length);
  let next = 0;
  const lane = async () => {
    while (next < chunks.length) {
      const i = next++;
      results[i] = run(chunks[i]);
      await results[i].catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  const joined: VerifyReport = { ok: true, from: range.from, verified: 0, lastVerifiedPosition: range.from - 1, checkpointsVerified: 0 };
  for (const pending of results) {
    const r = await pending;
    joined.verified += r.verified;
    joined.checkpointsVerified += r.checkpointsVerified;
    if (r.verified > 0) {
      joined.lastVerifiedPosition = r.lastVerifiedPosition;
      joined.lastVerifiedHash = r.lastVerifiedHash;
    }
    if (r.lastCheckpoint) joined.lastCheckpoint = r.lastCheckpoint;
    if (!r.ok) return { ...joined, ok: false, broken: r.broken };
  }
  return joined;
}

/** Where the store is, for a worker thread to open it read-only (openLedgerStore). */
export type StoreSpec = StoreLocation;

const WORKER = new URL('./verify-worker.js', import.meta.url);

/** True when the compiled worker entry is next to this module (a build; not under ts-jest/swc sources). */
export function verifyWorkersAvailable(): boolean {
  return WORKER.protocol === 'file:' && existsSync(fileURLToPath(WORKER));
}

/**
 * verifyStore over worker threads: hashing is CPU-bound and one thread is far below what the
 * machine can hash. Each worker opens the store itself and verifies its chunk, so rows are not
 * copied between threads. Falls back to one pass in this thread when workers are unavailable.
 */
export async function verifyStoreParallel(
  reader: ChainReader & { headPosition(): Promise<number> },
  spec: StoreSpec,
  jwks: { keys: JWK[] },
  options: { from?: number; to?: number; threads?: number; pageSize?: number; minEventsForWorkers?: number } = {},
): Promise<VerifyReport> {
  const threads = options.threads ?? availableParallelism();
  const from = Math.max(1, options.from ?? 1);
  const to = options.to ?? (await reader.headPosition());
  // A worker costs about a second to start (it loads the store modules): worth it for long chains only.
  if (threads <= 1 || !verifyWorkersAvailable() || to - from + 1 < (options.minEventsForWorkers ?? 250_000)) return verifyStore(reader, jwks, { from, to, pageSize: options.pageSize });
  const chunkSize = Math.ceil((to - from + 1) / threads);
  const report = await verifyInChunks({ from, to }, chunkSize, threads, (chunk) =>
    new Promise<VerifyReport>((resolve, reject) => {
      const worker = new Worker(WORKER, { workerData: { spec, jwks, ...chunk, pageSize: options.pageSize ?? 5000 } });
      worker.once('message', (report: VerifyReport) => resolve(report));
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`verify worker exited with ${code}`))));
    }),
  );
  return { ...report, workers: Math.min(threads, Math.ceil((to - from + 1) / chunkSize)) };
}
