import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, outboxEnabled, validateConfig } from '#config';
import { approversFile } from '../support/approvers.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { linkFromOutbox, readOutbox, waitFor } from '../support/links.js';

/** Issue 8, row #11: links are built from PUBLIC_BASE_URL (or the listen address in development), never from request headers. */
describe('approval-link URLs ignore forwarded headers', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function issueWithHostileHeaders(app: TestApp) {
    const alice = await app.token('alice', ['registry:read', 'registry:write']);
    const lead = await app.token('lead', ['registry:read', 'approvals:write']);
    await app.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
    await app.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) });
    const r = await app.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', {
      token: lead,
      body: { approvers: ['bob'] },
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'javascript', forwarded: 'host=evil.example;proto=javascript' },
    });
    expect(r.status).toBe(201);
    expect(JSON.stringify(r.body)).not.toContain('evil.example');
    return linkFromOutbox(app, r.body.notified[0].linkId);
  }

  test('development: the link is on the listen address, whatever X-Forwarded-Host/Proto say', async () => {
    t = await startTestApp('sqlite', { APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false' });
    const link = await issueWithHostileHeaders(t);
    expect(link.url.startsWith(`${t.url}/approve/`)).toBe(true);
    expect(link.url).not.toMatch(/evil|javascript/);
    // The outbox is readable by its owner only.
    expect(statSync(join(t.dataDir, 'outbox', 'approval-links.jsonl')).mode & 0o077).toBe(0);
  });

  test('configured PUBLIC_BASE_URL: the link is on it, whatever the headers say', async () => {
    t = await startTestApp('sqlite', { APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false', PUBLIC_BASE_URL: 'https://ledger.example.test/' });
    const link = await issueWithHostileHeaders(t);
    expect(link.url).toMatch(/^https:\/\/ledger\.example\.test\/approve\/[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  test('production needs PUBLIC_BASE_URL, only http(s), and never uses the development outbox', () => {
    expect(() => validateConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => validateConfig({ NODE_ENV: 'production' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => validateConfig({ PUBLIC_BASE_URL: 'javascript://evil.example' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => validateConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://l.example', NOTIFY_OUTBOX: 'true' })).toThrow(/NOTIFY_OUTBOX/);
    expect(outboxEnabled(validateConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://l.example' }))).toBe(false);
    expect(outboxEnabled(validateConfig({ NODE_ENV: 'development' }))).toBe(true);
    expect(outboxEnabled(validateConfig({ SMTP_URL: 'smtp://127.0.0.1:1025' }))).toBe(false);
    expect(() => validateConfig({ WEBHOOK_URL: 'http://127.0.0.1:9/hook' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => validateConfig({ WEBHOOK_URL: 'http://127.0.0.1:9/hook', WEBHOOK_SECRET: 'whsec_short' })).toThrow(/WEBHOOK_SECRET/);
  });

  test('without a delivery channel no link is issued, and nothing lands in the outbox', async () => {
    // A test app stands in for production delivery settings: outbox off, no SMTP or webhook.
    t = await startTestApp('sqlite', { APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false', NOTIFY_OUTBOX: 'false' });
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    const lead = await t.token('lead', ['registry:read', 'approvals:write']);
    await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
    await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) });
    const before = await t.store.headPosition();
    const r = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob'] } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'NO_DELIVERY_CHANNEL', errors: [{ field: 'approvers', rule: 'deliveryChannel', approver: 'bob' }] });
    await new Promise((res) => setTimeout(res, 300));
    expect(await t.store.headPosition()).toBe(before);
    expect(readOutbox(t.dataDir)).toEqual([]);
  });
});

describe('the shipped approver directory example', () => {
  test('deploy/approvers.example.yaml is valid and says who approves what', async () => {
    const { loadApproverDirectory } = await import('../../apps/registry-api/src/infrastructure/approvers-loader.js');
    const dir = loadApproverDirectory(validateConfig({ APPROVERS_FILE: 'deploy/approvers.example.yaml' }));
    expect(dir.approversFor('fraud-eu').map((p) => p.subject)).toEqual(['dan.risk', 'erin.risk']);
    expect(dir.mayApprove('bob', 'churn')).toBe(true);
    expect(dir.mayApprove('bob', 'fraud-eu')).toBe(false);
    expect(dir.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('links never reach the log', () => {
  test('with every log level on and a failing webhook, neither the token nor the URL is written to stdout/stderr', async () => {
    const { newWebhookSecret } = await import('#notifications');
    const { startWebhookReceiver } = await import('../support/webhook-receiver.js');
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    receiver.down();
    const written: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    let t: TestApp | undefined;
    try {
      t = await startTestApp(
        'sqlite',
        { APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false', WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, NOTIFY_OUTBOX: 'true', NOTIFY_MAX_ATTEMPTS: '2', NOTIFY_RETRY_BASE_MS: '20' },
        { logger: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] },
      );
      const alice = await t.token('alice', ['registry:read', 'registry:write']);
      const lead = await t.token('lead', ['registry:read', 'approvals:write']);
      await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
      await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) });
      const r = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob'] } });
      const link = await linkFromOutbox(t, r.body.notified[0].linkId);
      const app = t;
      await waitFor('the webhook dead letter', async () => ((await app.store.readAll()).some((e) => e.type === 'NotificationFailed' && (e.data as any).final) ? true : undefined));
      const log = written.join('');
      expect(log).toContain('failed (attempt 1)'); // the failures were logged ...
      expect(log).not.toContain(link.token.split('.')[2]); // ... without the link
      expect(log).not.toMatch(/\/approve\/[\w-]+\.[\w-]+/); // (the route table `/approve/:token` is logged, no link)
      expect(log).not.toContain(link.token.split('.')[1]);
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
      await t?.close();
      await receiver.close();
    }
  });
});
