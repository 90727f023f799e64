// Probe: CPU per request of a trivial node:http route in a process that first loads (MODE=) nothing, fastify, nest, the
// whole app (app, seeded: with a 2000 × 20 SQLite store), a big heap, or telemetry. Run from the repo root after
// `npm run build`: MODE=seeded REPS=4 npm exec -- node --max-semi-space-size=16 test/bench/http-probe.mjs
import http from 'node:http';
import { execFile } from 'node:child_process';
const mode = process.env.MODE;
if (mode === 'heap') {
  globalThis.keep = [];
  for (let i = 0; i < 600000; i++) globalThis.keep.push({ id: 'x' + i, n: i, tags: { a: String(i) }, list: [i, i + 1] });
}
if (mode === 'telemetry') {
  const { startTelemetry } = await import('../../dist/libs/observability/src/index.js');
  startTelemetry({ serviceName: 'probe' });
}
if (mode === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify(); app.get('/x', async () => ({ ok: 1 })); await app.listen({ port: 19961, host: '127.0.0.1' });
  for (let i = 0; i < 50; i++) await fetch('http://127.0.0.1:19961/x');
}
if (mode === 'seeded') {
  const { seedSqliteRegistry } = await import('../../dist/test/bench/fixtures.js');
  const { validateConfig } = await import('../../dist/libs/config/src/index.js');
  const { createApp } = await import('../../dist/apps/registry-api/src/bootstrap.js');
  const dir = (await import('node:fs')).mkdtempSync('/tmp/ml-probe-');
  await seedSqliteRegistry(dir, 2000, 20);
  const app = await createApp(validateConfig({ NODE_ENV: 'test', EVENT_STORE: 'sqlite', DATA_DIR: dir }), { logger: false });
  await app.listen({ port: 19961, host: '127.0.0.1' });
  for (let i = 0; i < 50; i++) await fetch('http://127.0.0.1:19961/health/ready');
  await new Promise((r) => setTimeout(r, 4000));
}
if (mode === 'nest' || mode === 'app') {
  const { validateConfig } = await import('../../dist/libs/config/src/index.js');
  const { createApp } = await import('../../dist/apps/registry-api/src/bootstrap.js');
  const dir = (await import('node:fs')).mkdtempSync('/tmp/ml-probe-');
  const app = await createApp(validateConfig({ NODE_ENV: 'test', EVENT_STORE: 'sqlite', DATA_DIR: dir }), { logger: false });
  if (mode === 'app') { await app.listen({ port: 19961, host: '127.0.0.1' }); for (let i = 0; i < 50; i++) await fetch('http://127.0.0.1:19961/health/live'); }
  else await app.init();
}
const body = Buffer.from(JSON.stringify({ model: 'bench-1', version: '1.19.0', x: 'y'.repeat(1000) }));
http.createServer((req, res) => {
  if (req.headers.authorization !== 'Bearer probe') { res.writeHead(401); res.end(); return; }
  res.writeHead(200, ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length)]);
  res.end(body);
}).listen(19962, '127.0.0.1', async () => {
  const stat = () => { const f = fsmod.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
  const run = () => new Promise((resolve) => execFile('wrk', ['-t2', '-c64', '-d4s', '-H', 'Authorization: Bearer probe', 'http://127.0.0.1:19962/p'], (e, out) => resolve(out)));
  await run();
  for (let r = 0; r < Number(process.env.REPS ?? 2); r++) {
    const c0 = stat();
    const out = await run();
    const n = Number(/(\d+) requests in/.exec(out)[1]);
    console.log(mode ?? 'plain', Math.round(n / 4), 'req/s', (((stat() - c0) * 1e6) / n).toFixed(1), 'µs CPU/request');
  }
  process.exit(0);
});
import fsmod from 'node:fs';
