/**
 * What the API process itself costs an HTTP request: the same trivial node:http route (a header
 * check, a fixed 1 KB JSON body) served from inside a running API (seeded SQLite, read models caught
 * up; loaded with --require) and from a process of its own, measured alternately with wrk as CPU
 * µs per request. The resolve edge's own work is about 1 µs; the rest of its cost is Node's HTTP
 * path, and this shows how much more that path costs inside the API process.
 *   npm run build && node dist/test/bench/http-in-process.js      (MODELS, ROUNDS, LOAD_SECONDS)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedSqliteRegistry } from './fixtures.js';
import { API_MAIN, API_NODE_FLAGS, benchKey, benchServerEnv, cpuSecondsOf, fmt, tempDir, waitCaughtUp, wrk } from './lib.js';

const dir = tempDir('ml-http-in-process-');
const route = join(dir, 'route.cjs');
writeFileSync(
  route,
  `const http = require('http');
const body = Buffer.from(JSON.stringify({ model: 'bench-1', version: '1.19.0', x: 'y'.repeat(1000) }));
const serve = () => http.createServer((req, res) => {
  if (req.headers.authorization !== 'Bearer probe') { res.writeHead(401); res.end(); return; }
  res.writeHead(200, ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length)]);
  res.end(body);
}).listen(Number(process.env.PROBE_PORT), '127.0.0.1');
if (process.env.PROBE_ALONE) serve(); else setTimeout(serve, 3000).unref();
`,
);
const key = await benchKey(dir);
await seedSqliteRegistry(dir, Number(process.env.MODELS ?? 2000), 20);
const apiPort = 19950;
const env = await benchServerEnv({ kind: 'sqlite', dir, port: apiPort, keyFile: key.file }, { PROBE_PORT: String(apiPort + 1) });
const api = spawn(process.execPath, [...API_NODE_FLAGS, `--require=${route}`, API_MAIN], { env: { ...process.env, ...env }, stdio: 'ignore' });
const alone = spawn(process.execPath, [...API_NODE_FLAGS, route], { env: { ...process.env, PROBE_PORT: String(apiPort + 2), PROBE_ALONE: '1' }, stdio: 'ignore' });
try {
  while (!(await fetch(`http://127.0.0.1:${apiPort}/health/ready`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 200));
  await waitCaughtUp(`http://127.0.0.1:${apiPort}`);
  await new Promise((r) => setTimeout(r, 3500));
  const targets: [string, number, number][] = [
    ['inside the API process', apiPort + 1, api.pid!],
    ['in a process of its own', apiPort + 2, alone.pid!],
  ];
  for (let r = 0; r < Number(process.env.ROUNDS ?? 2); r++) {
    for (const [name, port, pid] of targets) {
      const before = cpuSecondsOf(pid);
      const w = await wrk({ base: `http://127.0.0.1:${port}`, paths: ['/probe'], connections: 64, seconds: Number(process.env.LOAD_SECONDS ?? 5), headers: { authorization: 'Bearer probe' }, dir });
      console.log(`${name}: ${fmt(w.rps)} req/s, ${fmt(((cpuSecondsOf(pid) - before) * 1e6) / w.requests, 1)} µs CPU/request`);
    }
  }
} finally {
  api.kill();
  alone.kill();
}
