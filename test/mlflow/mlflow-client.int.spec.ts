import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DATABASE_URL } from '../support/pg.js';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * The real MLflow client (mlflow-skinny 3.17.2, installed by `scripts/services.sh up mlflow-client`)
 * runs test/mlflow/client_scenario.py against the app on SQLite and on PostgreSQL; this file then
 * checks from the ledger's side that every event those calls wrote says it came through MLflow.
 */
const run = promisify(execFile);
const PYTHON = process.env.MLFLOW_PYTHON ?? join(homedir(), '.cache/model-ledger/venvs/mlflow-skinny-3.17.2/bin/python');
const SCRIPT = join(process.cwd(), 'test/mlflow/client_scenario.py');
const available = existsSync(PYTHON);
if (!available && process.env.CI) throw new Error(`MLflow client venv missing at ${PYTHON}: run scripts/services.sh up mlflow-client`);

const backends = (['sqlite', ...(DATABASE_URL ? ['postgres'] : [])] as const).filter(() => available);
if (!available) console.warn(`skipped: no MLflow client at ${PYTHON} (scripts/services.sh up mlflow-client)`);

describe.each(backends.length ? backends : (['none'] as const))('real mlflow client against model-ledger (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    if (kind !== 'none') t = await startTestApp(kind as 'sqlite' | 'postgres');
  });
  afterAll(async () => {
    await t?.close();
  });

  (kind === 'none' ? test.skip : test)('register, search, alias with approvals, digest later, Production, tombstones, scopes', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MLFLOW_TRACKING_URI: t.url,
      ML_TOKEN_WRITER: await t.token('writer', ['registry:read', 'registry:write']),
      ML_TOKEN_PROMOTER: await t.token('promoter', ['registry:read', 'registry:write', 'registry:promote']),
      ML_TOKEN_READER: await t.token('reader', ['registry:read']),
      ML_TOKEN_APPROVER: await t.token('approver', ['registry:read', 'approvals:write']),
      ML_TOKEN_AUDITOR: await t.token('auditor', ['registry:read', 'audit:read']),
      // No retries on a refused call and no telemetry from the client.
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: 'true',
    };
    let out: string;
    try {
      ({ stdout: out } = await run(PYTHON, [SCRIPT], { env, timeout: 240_000 }));
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`client scenario failed:\n${e.stdout ?? ''}\n${(e.stderr ?? '').slice(-4000)}`);
    }
    expect(out).toContain('ok native_api_shows_mlflow_numbers_and_ajax_prefix_answers');
    expect(out).not.toContain('FAIL');

    // Every event the MLflow calls wrote carries via: mlflow; the native approvals do not.
    const events = await t.store.readStream('model-churn');
    const byType = (type: string) => events.filter((e) => e.type === type);
    expect(byType('VersionRegistered').map((e) => (e.metadata as { via?: string }).via)).toEqual(['mlflow', 'mlflow', 'mlflow', 'mlflow']);
    expect(byType('VersionDeleted').map((e) => [e.data, (e.metadata as { via?: string }).via])).toEqual([[{ version: '1.2.1', mlflowVersion: 4 }, 'mlflow']]);
    expect(byType('ArtifactDigestRecorded').map((e) => (e.metadata as { via?: string }).via)).toEqual(['mlflow']);
    expect(byType('VersionApproved').every((e) => (e.metadata as { via?: string }).via === undefined)).toBe(true);
    expect(events.filter((e) => !['VersionApproved', 'ApprovalRecorded'].includes(e.type)).every((e) => (e.metadata as { via?: string }).via === 'mlflow')).toBe(true);
  });
});
