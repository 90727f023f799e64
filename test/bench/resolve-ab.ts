/**
 * A/B of the resolve hot path against the bench's bare Fastify route, alternating runs on one
 * seeded SQLite API (AB_MODELS × AB_VERSIONS, default 500 × 4), for quick comparisons while changing
 * the path; prints the API's RSS after start, after the index fill and after the load:
 *   npm run build && node dist/test/bench/resolve-ab.js      (ROUNDS, LOAD_SECONDS, AB_ENV='K=V K=V', AB_NODE_OPTIONS, AB_PROFILE_DIR, AB_RESTART, AB_PREPROJECT)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { seedSqliteRegistry } from './fixtures.js';
import { API_MAIN, indexAnswers, waitCaughtUp, benchKey, benchServerEnv, cpuSecondsOf, cpuTimesOf, fmt, rssOf, startProcess, stopProcess, tempDir, wrk } from './lib.js';

const dir = tempDir('ml-rab-');
const key = await benchKey(dir);
const models = Number(process.env.AB_MODELS ?? 500);
await seedSqliteRegistry(dir, models, Number(process.env.AB_VERSIONS ?? 4));
// AB_PREPROJECT=1: a process of its own projects the read models first, so the API starts with nothing to catch up.
if (process.env.AB_PREPROJECT) execFileSync(process.execPath, ['dist/test/bench/project-read-models.js', join(dir, 'ledger.db')], { stdio: 'inherit' });

const port = 19655;
const base = `http://127.0.0.1:${port}`;
const extra = Object.fromEntries((process.env.AB_ENV ?? '').split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
// AB_PROFILE_DIR: the API and the bare route write CPU profiles there (start-up included).
const profile: Record<string, string> = process.env.AB_PROFILE_DIR ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.AB_PROFILE_DIR}` } : {};
const nodeOptions: Record<string, string> = process.env.AB_NODE_OPTIONS ? { NODE_OPTIONS: process.env.AB_NODE_OPTIONS } : {};
const env = { ...(await benchServerEnv({ kind: 'sqlite', dir, port, keyFile: key.file })), ...profile, ...nodeOptions, ...extra };
let api = await startProcess(API_MAIN, env, `${base}/health/ready`);
console.log(`API caught up ${(await waitCaughtUp(base)).toFixed(1)} s after ready`);
if (process.env.AB_RESTART) {
  // Measure a restarted API (read models already caught up) rather than the first start.
  console.log(`API RSS after the first start: ${rssOf(api.pid!).rssMb} MB`);
  await stopProcess(api);
  api = await startProcess(API_MAIN, env, `${base}/health/ready`);
  await waitCaughtUp(base);
}
console.log(`API RSS after start: ${rssOf(api.pid!).rssMb} MB`);
const token = await key.token('reader', 'registry:read');
const headers = { authorization: `Bearer ${token}` };
const sample = await fetch(`${base}/v1/resolve?uri=models:/bench-0@prod`, { headers });
const bodyFile = join(dir, 'resolve.json');
writeFileSync(bodyFile, await sample.text());
const bareBase = `http://127.0.0.1:${port + 1}`;
const bare = await startProcess('dist/test/bench/bare-server.js', { PORT: String(port + 1), BARE_BODY_FILE: bodyFile, BARE_TOKEN: token, ...profile }, `${bareBase}/health/ready`);
const paths = Array.from({ length: models }, (_, i) => `/v1/resolve?uri=models:/bench-${i}@prod`);
const seconds = Number(process.env.LOAD_SECONDS ?? 4);
const load = (b: string, s = seconds) => wrk({ base: b, paths, connections: 64, seconds: s, headers, dir });
await load(base, Math.max(2, Math.ceil(models / 1000)));
console.log(`API RSS after the index fill: ${rssOf(api.pid!).rssMb} MB`);
await load(bareBase, 1);
/** CPU seconds per thread (by name), when AB_THREADS is set: where a process's CPU goes besides the main thread. */
const threadsOf = (pid: number) => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    const { user, system } = cpuTimesOf(`${pid}/task/${tid}`);
    out.set(name, (out.get(name) ?? 0) + user + system);
  }
  return out;
};
const measured = async (b: string, pid: number) => {
  const split = cpuTimesOf(pid);
  const before = cpuSecondsOf(pid);
  const threads = process.env.AB_THREADS ? threadsOf(pid) : undefined;
  const answered = b === base ? await indexAnswers(b) : 0;
  const r = await load(b);
  if (b === base) console.log(`  ${(((await indexAnswers(b)) - answered) * 100 / r.requests).toFixed(1)}% of the API's answers from the resolve index`);
  if (threads) console.log(pid, [...threadsOf(pid)].map(([n, v]) => `${n} ${(v - (threads.get(n) ?? 0)).toFixed(2)}s`).join(', '));
  const { user: u, system: sys, minorFaults } = cpuTimesOf(pid);
  console.log(
    `  pid ${pid}: user ${fmt(((u - split.user) * 1e6) / r.requests, 1)} µs/request, system ${fmt(((sys - split.system) * 1e6) / r.requests, 1)} µs/request, ` +
      `${fmt(((minorFaults - split.minorFaults) * 1000) / r.requests, 1)} page faults per 1,000 requests`,
  );
  return { ...r, cpuUsPerRequest: ((cpuSecondsOf(pid) - before) * 1e6) / r.requests };
};
for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) {
  const a = await measured(base, api.pid!);
  const b = await measured(bareBase, bare.pid!);
  console.log(
    `API ${fmt(a.rps)} req/s p99 ${a.p99} ms, ${fmt(a.cpuUsPerRequest, 1)} µs CPU/request | bare ${fmt(b.rps)} req/s p99 ${b.p99} ms, ${fmt(b.cpuUsPerRequest, 1)} µs CPU/request | ratio ${(a.rps / b.rps).toFixed(2)}, CPU ratio ${(b.cpuUsPerRequest / a.cpuUsPerRequest).toFixed(2)}`,
  );
}
console.log(`API RSS after the load: ${JSON.stringify(rssOf(api.pid!))} MB`);
console.log(`ready: ${await fetch(`${base}/health/ready`).then((r) => r.text())}`);
if (process.env.AB_HEAP_SNAPSHOT) {
  // With AB_NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2: the API writes a heap snapshot into its working directory.
  api.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, Number(process.env.AB_HEAP_SNAPSHOT) * 1000));
}
await stopProcess(bare);
await stopProcess(api);
