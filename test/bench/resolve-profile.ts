/**
 * CPU profile of the resolve hot path: seeds 500 models × 4 versions on SQLite, starts the built
 * API with the bench's production environment (and `--cpu-prof` into PROFILE_DIR), loads it with
 * wrk (64 connections) and prints what wrk measured; the profile opens in Chrome DevTools.
 *   npm run build && node dist/test/bench/resolve-profile.js      (PROFILE_DIR, LOAD_SECONDS)
 */
import { spawn } from 'node:child_process';
import { seedSqliteRegistry } from './fixtures.js';
import { API_MAIN, API_NODE_FLAGS, benchKey, benchServerEnv, NODE, stopProcess, tempDir, wrk } from './lib.js';

const PROFILE_DIR = process.env.PROFILE_DIR ?? '/tmp/model-ledger-resolve-profile';
const dir = tempDir('ml-rprof-');
const key = await benchKey(dir);
await seedSqliteRegistry(dir, 500, 4);

const port = 19555;
const base = `http://127.0.0.1:${port}`;
const env = await benchServerEnv({ kind: 'sqlite', dir, port, keyFile: key.file });
const child = spawn(NODE, [...API_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, API_MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
for (;;) {
  const ready = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
  if (ready) break;
  await new Promise((r) => setTimeout(r, 200));
}
const headers = { authorization: `Bearer ${await key.token('reader', 'registry:read')}` };
const paths = Array.from({ length: 500 }, (_, i) => `/v1/resolve?uri=models:/bench-${i}@prod`);
await wrk({ base, paths, connections: 64, seconds: 2, headers, dir }); // fills the resolve index
console.log(await wrk({ base, paths, connections: 64, seconds: Number(process.env.LOAD_SECONDS ?? 6), headers, dir }));
await stopProcess(child);
console.log(`profile written to ${PROFILE_DIR}`);
