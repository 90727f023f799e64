/**
 * A/B of the resolve hot path against the bench's bare Fastify route, alternating runs on one
 * seeded SQLite API (500 models × 4 versions), for quick comparisons while changing the path:
 *   npm run build && node dist/test/bench/resolve-ab.js      (ROUNDS, LOAD_SECONDS, AB_ENV='K=V K=V')
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { seedSqliteRegistry } from './fixtures.js';
import { benchKey, benchServerEnv, fmt, startProcess, stopProcess, tempDir, wrk } from './lib.js';

const dir = tempDir('ml-rab-');
const key = await benchKey(dir);
await seedSqliteRegistry(dir, 500, 4);

const port = 19655;
const base = `http://127.0.0.1:${port}`;
const extra = Object.fromEntries((process.env.AB_ENV ?? '').split(' ').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const env = { ...(await benchServerEnv({ kind: 'sqlite', dir, port, keyFile: key.file })), ...extra };
const api = await startProcess('dist/apps/registry-api/src/main.js', env, `${base}/health/ready`);
const token = await key.token('reader', 'registry:read');
const headers = { authorization: `Bearer ${token}` };
const sample = await fetch(`${base}/v1/resolve?uri=models:/bench-0@prod`, { headers });
const bodyFile = join(dir, 'resolve.json');
writeFileSync(bodyFile, await sample.text());
const bareBase = `http://127.0.0.1:${port + 1}`;
const bare = await startProcess('dist/test/bench/bare-server.js', { PORT: String(port + 1), BARE_BODY_FILE: bodyFile, BARE_TOKEN: token }, `${bareBase}/health/ready`);
const paths = Array.from({ length: 500 }, (_, i) => `/v1/resolve?uri=models:/bench-${i}@prod`);
const seconds = Number(process.env.LOAD_SECONDS ?? 4);
const load = (b: string, s = seconds) => wrk({ base: b, paths, connections: 64, seconds: s, headers, dir });
await load(base, 2);
await load(bareBase, 1);
for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) {
  const a = await load(base);
  const b = await load(bareBase);
  console.log(`API ${fmt(a.rps)} req/s p99 ${a.p99} ms | bare ${fmt(b.rps)} req/s p99 ${b.p99} ms | ratio ${(a.rps / b.rps).toFixed(2)}`);
}
await stopProcess(bare);
await stopProcess(api);
