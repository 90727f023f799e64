/* global URLSearchParams */
// Writes test/upgrade/fixture-<commit>/: a ledger written by a build of an older commit, for the
// upgrade tests. Run from the repo root with Node 24: `npm exec -- node test/upgrade/make-fixture.mjs`
// (PostgreSQL part: DATABASE_URL set and pg_dump on PATH). It checks the commit out into a
// temporary git worktree, builds it, drives that build's own server over HTTP through approvals,
// gates, promotions, an approval link, a rollback, aliases and signed audit checkpoints, then
// saves the SQLite file and a plain-SQL pg_dump of a PostgreSQL schema written the same way.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const COMMIT = '9913c36';
const SCHEMA = 'upgrade_fixture';
const repo = resolve(import.meta.dirname, '../..');
const out = join(repo, 'test/upgrade', `fixture-${COMMIT}`);
const work = mkdtempSync(join(tmpdir(), 'ml-upgrade-'));
const old = join(work, 'old');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

async function main() {
  run('git', ['worktree', 'add', '--detach', old, COMMIT], repo);
  try {
    // Same lock file: reuse the installed packages instead of a second install.
    if (readFileSync(join(old, 'package-lock.json'), 'utf8') === readFileSync(join(repo, 'package-lock.json'), 'utf8')) {
      symlinkSync(join(repo, 'node_modules'), join(old, 'node_modules'));
    } else run('npm', ['ci', '--no-audit', '--no-fund'], old);
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], old);
    mkdirSync(out, { recursive: true });
    for (const f of ['ledger.db', 'ledger.pg.sql', 'audit-jwks.json']) rmSync(join(out, f), { force: true });
    const keys = await makeKeys();
    writeFileSync(join(out, 'audit-jwks.json'), `${JSON.stringify({ keys: [keys.auditPublic] }, null, 2)}\n`);

    const sqliteDir = join(work, 'sqlite');
    await withOldServer({ EVENT_STORE: 'sqlite', DATA_DIR: sqliteDir }, keys, scenario);
    const db = new DatabaseSync(join(sqliteDir, 'ledger.db'));
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.exec(`VACUUM INTO '${join(out, 'ledger.db')}'`);
    db.close();

    if (process.env.DATABASE_URL) {
      const psql = (sql) => run('psql', [process.env.DATABASE_URL, '-qc', sql]);
      psql(`SET client_min_messages = warning; DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`);
      const url = new URL(process.env.DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${SCHEMA}`);
      await withOldServer({ EVENT_STORE: 'postgres', DATABASE_URL: url.toString(), DATA_DIR: join(work, 'pg') }, keys, scenario);
      // INSERTs rather than COPY, so the test can replay the dump through the pg driver.
      const dump = execFileSync('pg_dump', ['--schema', SCHEMA, '--no-owner', '--no-privileges', '--inserts', '--rows-per-insert=100', process.env.DATABASE_URL], { encoding: 'utf8' });
      // psql-only lines (\restrict carries a random key) and tool versions would make every run differ.
      writeFileSync(join(out, 'ledger.pg.sql'), dump.replace(/^(-- Dumped (from|by) .*|\\(un)?restrict .*)\n/gm, ''));
      psql(`SET client_min_messages = warning; DROP SCHEMA ${SCHEMA} CASCADE`);
    } else console.warn('DATABASE_URL unset: PostgreSQL dump not written');
  } finally {
    run('git', ['worktree', 'remove', '--force', old], repo);
    rmSync(work, { recursive: true, force: true });
  }
}

async function makeKeys() {
  const idp = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const audit = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = 'audit-upgrade-fixture';
  return {
    idp,
    auditPublic: { ...(await exportJWK(audit.publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    auditFile: { kid, privateJwk: { ...(await exportJWK(audit.privateKey)), kid, alg: 'EdDSA' }, publicJwk: { ...(await exportJWK(audit.publicKey)), kid, alg: 'EdDSA', use: 'sig' } },
  };
}

async function withOldServer(env, keys, fn) {
  mkdirSync(env.DATA_DIR, { recursive: true });
  const idpFile = join(work, 'idp.jwk.json');
  writeFileSync(idpFile, JSON.stringify({ ...(await exportJWK(keys.idp.publicKey)), alg: 'EdDSA', kid: 'idp' }));
  const auditFile = join(work, 'audit-key.json');
  if (!existsSync(auditFile)) writeFileSync(auditFile, JSON.stringify(keys.auditFile));
  const port = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['dist/apps/registry-api/src/main.js'], {
    cwd: old,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_ISSUER: 'https://idp.fixture',
      JWT_AUDIENCE: 'model-ledger',
      JWT_PUBLIC_KEY_FILE: idpFile,
      JWT_ALGORITHMS: 'EdDSA',
      AUDIT_SIGNING_KEY_FILE: auditFile,
      AUDIT_CHECKPOINT_EVERY_EVENTS: '5',
      AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0',
      KAFKA_BROKERS: '',
    },
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/health/ready`).catch(() => undefined))?.ok) break;
      if (i > 300 || child.exitCode !== null) throw new Error('the old build did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const token = (sub, scopes) =>
      new SignJWT({ scope: scopes.join(' ') }).setProtectedHeader({ alg: 'EdDSA', kid: 'idp' }).setSubject(sub).setIssuer('https://idp.fixture').setAudience('model-ledger').setIssuedAt().setExpirationTime('1h').sign(keys.idp.privateKey);
    await fn(base, token);
    // Let the checkpoint scheduler sign what the last append left due.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const digest = (n) => `sha256:${n.toString(16).padStart(64, '0')}`;
const version = (v, n, extra = {}) => ({
  version: v,
  artifact: { uri: `s3://models/churn/${v}/model.onnx`, digest: digest(n), sizeBytes: 1024, format: 'onnx' },
  signature: { inputs: [{ name: 'tenure', type: 'double' }], outputs: [{ name: 'p', type: 'double' }] },
  metrics: { auc: 0.9 + n / 1000 },
  lineage: { runId: `run-${n}`, gitCommit: 'a'.repeat(40), datasetHash: digest(1000 + n), image: { ref: 'serving/churn:1', digest: digest(2000 + n) } },
  ...extra,
});

/** One of everything a ledger of that build holds. */
async function scenario(base, token) {
  const alice = await token('alice', ['registry:read', 'registry:write', 'gates:write']);
  const bob = await token('bob', ['registry:read', 'approvals:write']);
  const carol = await token('carol', ['registry:read', 'approvals:write']);
  const rm = await token('rm', ['registry:read', 'registry:write', 'registry:promote']);
  const call = async (method, path, bearer, body, expected) => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  await call('POST', '/v1/models', alice, { name: 'churn', description: 'churn predictor', owners: ['team-retention'], tags: { domain: 'crm' } }, 201);
  await call('POST', '/v1/models', alice, { name: 'fraud-score', owners: ['team-risk'] }, 201);
  for (const [v, n] of [['1.0.0', 1], ['1.1.0', 2], ['2.0.0', 3]]) await call('POST', '/v1/models/churn/versions', alice, version(v, n), 201);
  await call('POST', '/v1/models/fraud-score/versions', alice, version('0.1.0', 9), 201);
  await call('POST', '/v1/models/churn/versions/1.0.0/gates', alice, { gate: 'latency-p95', status: 'passed', metrics: { p95_ms: 110 }, evidenceUri: 'https://ci.example.com/1' }, 201);
  await call('POST', '/v1/models/churn/versions/1.0.0/approvals', bob, { decision: 'approve', comment: 'looks good' }, 201);
  await call('POST', '/v1/models/churn/versions/1.0.0/transitions', rm, { stage: 'Production' }, 200);
  await call('POST', '/v1/models/churn/versions/1.1.0/gates', alice, { gate: 'latency-p95', status: 'failed', metrics: { p95_ms: 190 } }, 201);
  await call('POST', '/v1/models/churn/versions/1.1.0/gates', alice, { gate: 'latency-p95', status: 'passed', metrics: { p95_ms: 120 } }, 201);
  // An approval through a link: ApprovalLinkIssued/Used in their own stream, VersionApproved via the link.
  const issued = await call('POST', '/v1/models/churn/versions/1.1.0/approval-links', carol, { approvers: ['bob'] }, 201);
  const link = issued.links[0].url.slice(issued.links[0].url.lastIndexOf('/') + 1);
  const page = await fetch(`${base}/approve/${link}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ decision: 'approve', comment: 'via link', model: 'churn', version: '1.1.0' }).toString() });
  if (page.status !== 200) throw new Error(`approval page: ${page.status} ${await page.text()}`);
  await call('POST', '/v1/models/churn/versions/1.1.0/transitions', rm, { stage: 'Staging' }, 200);
  await call('PUT', '/v1/models/churn/aliases/canary', rm, { version: '1.1.0' }, 200);
  await call('POST', '/v1/models/churn/versions/1.1.0/transitions', rm, { stage: 'Production' }, 200);
  await call('POST', '/v1/models/churn/versions/2.0.0/approvals', carol, { decision: 'reject', comment: 'drift on holdout' }, 201);
  await call('POST', '/v1/models/churn/rollback', rm, { toVersion: '1.0.0', reason: 'latency regression in canary' }, 200);
  await call('PUT', '/v1/models/churn/aliases/champion-candidate', rm, { version: '1.0.0' }, 200);
  await call('DELETE', '/v1/models/churn/aliases/champion-candidate', rm, undefined, 200);
  await call('POST', '/v1/models/fraud-score/versions/0.1.0/transitions', rm, { stage: 'Staging' }, 200);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
