import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Figure 10.5 end to end by the CLI only: the CLI runs as a subprocess (Node's type stripping, as
 * a user runs it) against a started server on the embedded store that verifies the development
 * key in DATA_DIR, which `model-ledger token` signs with.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'apps/cli/bin/model-ledger.ts');
const FIX = join(ROOT, 'libs/artifact-inspection/fixtures');
const sha = (file: string) => `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
const IMG = `registry.example.com/serving/churn:1.0.0@sha256:${'cd'.repeat(32)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

let app: TestApp;
let dataDir: string;

function cli(args: string[], token?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, MODEL_LEDGER_URL: app.url, DATA_DIR: dataDir, ...(token ? { MODEL_LEDGER_TOKEN: token } : {}), ...env } },
      (err, stdout, stderr) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, json });
      },
    );
  });
}

async function token(sub: string, scope: string): Promise<string> {
  const r = await cli(['token', '--sub', sub, '--scope', scope, '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`DATA_DIR=${dataDir}`);
  return r.json.token;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ml-cli-'));
  // The server verifies the development key it creates in DATA_DIR, as `npm start` does.
  app = await startTestApp('sqlite', {
    DATA_DIR: dataDir,
    JWT_PUBLIC_KEY_FILE: '',
    JWT_ISSUER: 'model-ledger-dev',
    JWT_AUDIENCE: 'model-ledger',
    NODE_ENV: 'development',
    // The README's example directory: bob reviews every model but fraud-* and credit-*.
    APPROVERS_FILE: join(ROOT, 'deploy/approvers.example.yaml'),
  });
});
afterAll(async () => {
  await app?.close();
});

describe('model-ledger CLI against a started server', () => {
  it('Figure 10.5 end to end: create → register a real ONNX file → gate → readiness 3 → approval → readiness 0 → promote → resolve → rollback → audit verify', async () => {
    const alice = await token('alice', 'registry:read registry:write gates:write');
    const bob = await token('bob', 'registry:read approvals:write');
    const rm = await token('rm', 'registry:read registry:promote approvals:write');
    const auditor = await token('compliance', 'audit:read');

    const created = await cli(['models', 'create', 'churn', '--owner', 'retention', '--tag', 'domain=marketing', '--json'], alice);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ position: expect.any(Number) });

    const onnx = join(FIX, 'churn.onnx');
    const lineage = ['--run-id', 'run-1', '--git-commit', 'a'.repeat(40), '--dataset-hash', `sha256:${'e8'.repeat(32)}`, '--image', IMG];
    const reg = await cli(['register', 'churn', onnx, '--version', '1.0.0', '--metric', 'auc=0.91', ...lineage, '--json'], alice);
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    expect(reg.json).toMatchObject({ version: '1.0.0', format: 'onnx', digest: sha(onnx), inspection: { format: 'onnx', safe: true, valid: true, facts: { irVersion: 9, opsets: 'ai.onnx:17' } } });
    // The server recorded what the CLI found: the ONNX inputs/outputs are the version's signature.
    const version = await app.call('GET', '/v1/models/churn/versions/1.0.0', { token: alice });
    expect(version.body.signature).toEqual({
      inputs: [{ name: 'features', type: 'tensor(float)', shape: ['batch', 4] }],
      outputs: [{ name: 'churn_probability', type: 'tensor(float)', shape: ['batch', 1] }],
    });
    expect(version.body.inspection).toMatchObject({ format: 'onnx', inspector: 'model-ledger-inspect/1' });
    expect(version.body.lineage.image).toEqual({ ref: 'registry.example.com/serving/churn:1.0.0', digest: `sha256:${'cd'.repeat(32)}` });

    const gate = await cli(['gate', 'churn', '1.0.0', 'fairness', '--status', 'passed', '--metric', 'subgroup_gap=0.01', '--evidence', 'https://ci.example.com/run/1', '--json'], alice);
    expect(gate.code).toBe(0);

    const notReady = await cli(['readiness', 'churn', '1.0.0', '--json'], rm);
    expect(notReady.code).toBe(3);
    expect(notReady.json).toMatchObject({ ready: false, format: 'onnx', inspected: true });
    expect(notReady.json.requirements.map((r: any) => [r.code, r.met])).toEqual([
      ['APPROVAL_REQUIRED', false],
      ['ARTIFACT_SAFE', true],
    ]);
    const human = await cli(['readiness', 'churn', '1.0.0'], rm);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/NOT READY/);
    expect(human.stdout).toMatch(/UNMET\s+APPROVAL_REQUIRED/);

    const refused = await cli(['promote', 'churn', '1.0.0', '--reason', 'too early', '--json'], rm);
    expect(refused.code).toBe(3);
    expect(refused.json.problem).toMatchObject({ status: 422, code: 'PROMOTION_REQUIREMENTS_UNMET' });

    const requested = await cli(['request-approval', 'churn', '1.0.0', '--approver', 'bob', '--json'], rm);
    expect(requested.stderr).toBe('');
    expect(requested.code).toBe(0);
    expect(requested.json).toBeDefined();

    const selfApproval = await cli(['approve', 'churn', '1.0.0'], alice);
    expect(selfApproval.code).toBe(4);
    const approved = await cli(['approve', 'churn', '1.0.0', '--comment', 'reviewed model card and lineage', '--json'], bob);
    expect(approved.code).toBe(0);

    const ready = await cli(['readiness', 'churn', '1.0.0', '--json'], rm);
    expect(ready.code).toBe(0);
    expect(ready.json.ready).toBe(true);

    const promoted = await cli(['promote', 'churn', '1.0.0', '--reason', 'Q3 release', '--json'], rm);
    expect(promoted.code).toBe(0);

    const resolved = await cli(['resolve', 'models:/churn@prod', '--json'], alice);
    expect(resolved.code).toBe(0);
    expect(resolved.json).toMatchObject({ version: '1.0.0', artifact: { digest: sha(onnx), format: 'onnx' } });

    // The same bytes again: a conflict (exit 5). A wider input with a MINOR bump: semver says MAJOR (exit 6).
    expect((await cli(['register', 'churn', onnx, '--version', '1.1.0'], alice)).code).toBe(5);
    const wider = join(FIX, 'churn-wider.onnx');
    const minor = await cli(['register', 'churn', wider, '--version', '1.1.0', ...lineage, '--json'], alice);
    expect(minor.code).toBe(6);
    expect(minor.json.problem).toMatchObject({ code: 'SEMVER_RULE_VIOLATED', requiredBump: 'major' });
    const major = await cli(['register', 'churn', wider, ...lineage, '--json'], alice);
    expect(major.code).toBe(0);
    expect(major.json.version).toBe('2.0.0');
    const asked = await cli(['request-approval', 'churn', '2.0.0', '--approver', 'bob'], rm);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/approval requested for churn 2\.0\.0:\n {2}bob \(Bob Okafor\) {2}via outbox {2}queued {2}expires /);
    expect((await cli(['approve', 'churn', '2.0.0'], bob)).code).toBe(0);
    expect((await cli(['promote', 'churn', '2.0.0', '--reason', 'wider features'], rm)).code).toBe(0);

    const rolledBack = await cli(['rollback', 'churn', '--to', '1.0.0', '--reason', 'regression in 2.0.0', '--json'], rm);
    expect(rolledBack.code).toBe(0);
    expect((await cli(['resolve', 'models:/churn@prod', '--json'], alice)).json.version).toBe('1.0.0');

    const verified = await cli(['audit', 'verify', '--json'], auditor);
    expect(verified.code).toBe(0);
    expect(verified.json).toMatchObject({ ok: true });
    expect(verified.json.verified).toBeGreaterThan(10);
  });

  it('an unsafe pickle is registered (and recorded) but never reaches Production or a protected alias', async () => {
    const alice = await token('alice', 'registry:read registry:write');
    const bob = await token('bob', 'registry:read approvals:write');
    const rm = await token('rm', 'registry:read registry:promote');
    expect((await cli(['models', 'create', 'risky'], alice)).code).toBe(0);
    const reg = await cli(['register', 'risky', join(FIX, 'malicious.pkl'), '--version', '1.0.0'], alice);
    expect(reg.code).toBe(3);
    expect(reg.stderr).toMatch(/UNSAFE \(imports posix\.system, builtins\.eval\)/);
    expect((await cli(['approve', 'risky', '1.0.0'], bob)).code).toBe(0);
    const promote = await cli(['promote', 'risky', '1.0.0', '--reason', 'try', '--json'], rm);
    expect(promote.code).toBe(3);
    expect(promote.json.problem.unmet).toEqual([expect.objectContaining({ code: 'ARTIFACT_UNSAFE', unsafeGlobals: ['posix.system', 'builtins.eval'] })]);
    const readiness = await cli(['readiness', 'risky', '1.0.0', '--target', 'champion'], rm);
    expect(readiness.code).toBe(3);
    expect(readiness.stdout).toMatch(/UNMET\s+ARTIFACT_UNSAFE\s+artifact \(pickle\) runs code on load: imports posix\.system, builtins\.eval/);
    const events = await app.call('GET', '/v1/models/risky/versions/1.0.0', { token: rm });
    expect(events.body).toMatchObject({ stage: 'None', inspection: { safe: false, unsafeGlobals: ['posix.system', 'builtins.eval'] } });
  });

  it('exit codes: 2 usage, 4 no token, 7 not found, 6 invalid artifact; --help everywhere', async () => {
    const alice = await token('alice', 'registry:read registry:write');
    expect((await cli(['readiness', 'churn'])).code).toBe(2);
    expect((await cli(['gate', 'churn', '1.0.0', 'x', '--status', 'maybe'])).code).toBe(2);
    expect((await cli(['register', 'churn', 's3://bucket/model.onnx', '--format', 'onnx'], alice)).stderr).toMatch(/needs --digest/);
    expect((await cli(['readiness', 'churn', '1.0.0'])).code).toBe(4);
    expect((await cli(['readiness', 'churn', '9.9.9'], alice)).code).toBe(7);
    const truncated = await cli(['register', 'churn', join(FIX, 'truncated.safetensors'), '--version', '3.0.0'], alice);
    expect(truncated.code).toBe(6);
    expect(truncated.stderr).toMatch(/refusing to register an invalid safetensors artifact/);
    // A retried step with the same idempotency key gets the first answer; without one, a conflict.
    expect((await cli(['models', 'create', 'retried', '--idempotency-key', 'job-42'], alice)).code).toBe(0);
    expect((await cli(['models', 'create', 'retried', '--idempotency-key', 'job-42'], alice)).code).toBe(0);
    expect((await cli(['models', 'create', 'retried'], alice)).code).toBe(5);
    // A SavedModel directory is registered under its documented manifest digest (docs/CLI.md).
    const dir = await cli(['register', 'churn', join(FIX, 'savedmodel'), '--version', '5.0.0', '--json'], alice);
    expect(dir.code).toBe(0);
    expect(dir.json).toMatchObject({ format: 'savedmodel', digest: 'sha256:7c68651d3a6baa63a09f1343d7dda0e82c23bfcdc35a0f7051b7601358149c36' });
    for (const args of [['--help'], ['register', '--help'], ['audit', 'verify', '--help'], ['models', 'create', '--help'], ['token', '--help']]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: model-ledger/);
    }
    const badScope = await cli(['token', '--sub', 'a', '--scope', 'registry:raed']);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/unknown scope 'registry:raed'/);
  });

  it('inspect works without a server and exits 3 on an unsafe artifact', async () => {
    const ok = await cli(['inspect', join(FIX, 'tiny.gguf'), '--json'], undefined, { MODEL_LEDGER_URL: 'http://127.0.0.1:1' });
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ format: 'gguf', facts: { architecture: 'llama', quantization: 'MOSTLY_F16' } });
    const bad = await cli(['inspect', join(FIX, 'malicious.pt')]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/safe:\s+NO — imports posix\.system/);
  });

  it('watch follows the SSE stream and prints events as JSON lines', async () => {
    const alice = await token('alice', 'registry:read registry:write');
    const watching = cli(['watch', '--model', 'streamed', '--limit', '1', '--json'], alice);
    await new Promise((r) => setTimeout(r, 500));
    expect((await cli(['models', 'create', 'streamed'], alice)).code).toBe(0);
    const w = await watching;
    expect(w.code).toBe(0);
    expect(JSON.parse(w.stdout.trim().split('\n')[0])).toMatchObject({ type: expect.stringMatching(/model\.created/) });
  });
});
