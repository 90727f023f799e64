import { rmSync } from 'node:fs';
import { newWebhookSecret, verifyWebhook } from '#notifications';
import { ApprovalScheduler } from '../../apps/registry-api/src/application/approval-scheduler.js';
import { approversFile } from '../support/approvers.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { linkFromOutbox, page, readOutbox, waitFor } from '../support/links.js';
import { policyFile } from '../support/policy.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Figure 10.5's "notify PendingApproval": the server requests approval by itself when only the
 * approvals are missing, delivers one link per eligible approver, reminds after the configured
 * time (injected clock) and records the expiry. Webhooks are signed and retried, then dead-lettered.
 */
describe('automatic approval requests, reminders, expiry and webhooks (embedded SQLite)', () => {
  let t: TestApp;
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };
  const policy = policyFile({ default: { gates: { production: ['lineage-complete', { name: 'fairness', max: { gap: 0.05 } }] } } });
  const directory = approversFile({
    people: [
      { subject: 'alice', displayName: 'Alice A', email: 'alice@example.test' },
      { subject: 'bob', displayName: 'Bob B', email: 'bob@example.test' },
      { subject: 'carol', displayName: 'Carol C', email: 'carol@example.test' },
    ],
    groups: { reviewers: ['alice', 'bob', 'carol'] },
    approvers: [{ match: '*', groups: ['reviewers'] }],
  });

  afterEach(async () => {
    offset.ms = 0;
    await t?.close();
  });

  async function registerReady(app: TestApp) {
    const alice = await app.token('alice', ['registry:read', 'registry:write', 'gates:write']);
    await app.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
    expect((await app.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) })).status).toBe(201);
    // Not ready yet: the fairness gate is missing, so nobody is asked.
    await new Promise((r) => setTimeout(r, 200));
    expect(await app.store.readStream('approval-request-churn@1.0.0')).toEqual([]);
    expect((await app.call('POST', '/v1/models/churn/versions/1.0.0/gates', { token: alice, body: { gate: 'fairness', status: 'passed', metrics: { gap: 0.01 } } })).status).toBe(201);
    const requested = await waitFor('ApprovalRequested', async () => (await app.store.readStream('approval-request-churn@1.0.0'))[0]);
    return requested;
  }

  test('the gate that completes the checklist makes the server request approval from every eligible approver', async () => {
    t = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory }, { clock });
    const requested = await registerReady(t);
    const gate = (await t.store.readStream('model-churn')).find((e) => e.type === 'GatePassed')!;
    expect(requested.data).toMatchObject({ trigger: 'automatic', requestedBy: 'system:approval-requests', links: [{ approver: 'bob' }, { approver: 'carol' }] });
    expect(requested.metadata).toMatchObject({ actor: { sub: 'system:approval-requests' }, causationId: gate.id, correlationId: gate.metadata.correlationId });
    const links = await Promise.all((requested.data as any).links.map((l: any) => linkFromOutbox(t, l.linkId)));
    expect(links.map((l) => [l.to, l.email])).toEqual([['bob', 'bob@example.test'], ['carol', 'carol@example.test']]);
    const sent = await waitFor('two NotificationSent', async () => {
      const s = (await t.store.readAll()).filter((e) => e.type === 'NotificationSent');
      return s.length === 2 ? s : undefined;
    });
    expect(sent.map((e) => e.data)).toEqual(links.map((l) => expect.objectContaining({ channel: 'outbox', kind: 'approval-link', approver: l.to, linkId: l.linkId, attempt: 1 })));
    expect(JSON.stringify(await t.store.readAll())).not.toMatch(/example\.test|\/approve\//);
    // Another gate result does not ask again.
    const alice = await t.token('alice', ['gates:write']);
    await t.call('POST', '/v1/models/churn/versions/1.0.0/gates', { token: alice, body: { gate: 'fairness', status: 'passed', metrics: { gap: 0.02 } } });
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.store.readStream('approval-request-churn@1.0.0')).filter((e) => e.type === 'ApprovalRequested')).toHaveLength(1);
    // The link from the outbox works.
    expect((await page(t, 'POST', links[0].token, { decision: 'approve' })).status).toBe(200);
  });

  test('once the version has its approvals, no reminder is sent', async () => {
    t = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory, APPROVAL_REMINDER_HOURS: '24', APPROVAL_LINK_TTL_HOURS: '72' }, { clock });
    const requested = await registerReady(t);
    const [bobLink, carolLink] = (requested.data as any).links;
    const bob = await linkFromOutbox(t, bobLink.linkId);
    await linkFromOutbox(t, carolLink.linkId);
    expect((await page(t, 'POST', bob.token, { decision: 'approve' })).status).toBe(200);
    // Bob's approval was enough (1 of 1): carol is not reminded.
    const scheduler = t.app.get(ApprovalScheduler);
    offset.ms = 25 * 3600_000;
    expect(await scheduler.tick()).toBe(0);
    expect(readOutbox(t.dataDir).filter((l) => l.kind === 'approval-reminder')).toEqual([]);
  });

  test('reminder and expiry for a version nobody decides on (injected clock)', async () => {
    t = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory, APPROVAL_REMINDER_HOURS: '24', APPROVAL_LINK_TTL_HOURS: '72' }, { clock });
    const requested = await registerReady(t);
    const first = await linkFromOutbox(t, (requested.data as any).links[0].linkId);
    const scheduler = t.app.get(ApprovalScheduler);
    offset.ms = 23 * 3600_000;
    expect(await scheduler.tick()).toBe(0);
    offset.ms = 24 * 3600_000 + 1000;
    expect(await scheduler.tick()).toBe(1);
    const reminder = (await t.store.readStream('approval-request-churn@1.0.0')).find((e) => e.type === 'ApprovalReminderSent')!;
    expect(reminder.data).toMatchObject({ reminder: 1, links: [{ approver: 'bob' }, { approver: 'carol' }] });
    const again = await linkFromOutbox(t, first.linkId, 'approval-reminder');
    expect(again.url).toBe(first.url);
    expect(await scheduler.tick()).toBe(0);
    offset.ms = 48 * 3600_000 + 1000;
    expect(await scheduler.tick()).toBe(1);
    offset.ms = 72 * 3600_000 + 1000;
    expect(await scheduler.tick()).toBe(1);
    const types = (await t.store.readStream('approval-request-churn@1.0.0')).map((e) => e.type);
    expect(types).toEqual(['ApprovalRequested', 'ApprovalReminderSent', 'ApprovalReminderSent', 'ApprovalRequestExpired']);
    expect((await t.store.readStream('approval-request-churn@1.0.0'))[3].data).toMatchObject({ pending: ['bob', 'carol'] });
    // The link itself has expired too.
    expect((await page(t, 'GET', first.token)).status).toBe(410);
    expect(await scheduler.tick()).toBe(0);
  });

  test('after a restart the open request is still reminded: the new process finds it without the dispatcher feed (streams holding a request)', async () => {
    const before = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory, APPROVAL_REMINDER_HOURS: '24', APPROVAL_LINK_TTL_HOURS: '72' }, { clock });
    const requested = await registerReady(before);
    // Delivered: the dispatcher's checkpoint is past the request, so the next process's feed never shows it.
    await linkFromOutbox(before, (requested.data as any).links[0].linkId);
    await before.app.close();
    try {
      t = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory, APPROVAL_REMINDER_HOURS: '24', APPROVAL_LINK_TTL_HOURS: '72', DATA_DIR: before.dataDir }, { clock });
      offset.ms = 24 * 3600_000 + 1000;
      expect(await t.app.get(ApprovalScheduler).tick()).toBe(1);
      expect((await t.store.readStream('approval-request-churn@1.0.0')).map((e) => e.type)).toEqual(['ApprovalRequested', 'ApprovalReminderSent']);
    } finally {
      await t?.close();
      t = undefined as never;
      rmSync(before.dataDir, { recursive: true, force: true });
    }
  });

  test('webhooks: signed Standard Webhooks deliveries; a down receiver never blocks a write, is retried with backoff, then dead-lettered', async () => {
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      t = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, NOTIFY_MAX_ATTEMPTS: '3', NOTIFY_RETRY_BASE_MS: '50' }, { clock });
      const requested = await registerReady(t);
      await waitFor('two webhooks', () => (receiver.received.length >= 2 ? true : undefined));
      expect(receiver.received.every((r) => r.verified)).toBe(true);
      expect(receiver.received.map((r) => [r.body.type, r.body.data.approver, r.body.data.linkId])).toEqual(
        (requested.data as any).links.map((l: any) => ['approval.requested', l.approver, l.linkId]),
      );
      expect(receiver.received[0].body.data.url).toMatch(new RegExp(`^${t.url}/approve/`));
      expect(readOutbox(t.dataDir)).toEqual([]);
      // A forged or altered delivery would not verify.
      const r0 = receiver.received[0];
      expect(verifyWebhook(secret, { 'webhook-id': r0.id, 'webhook-timestamp': String(r0.timestamp), 'webhook-signature': 'v1,AAAA' }, r0.raw).ok).toBe(false);
      expect(verifyWebhook(newWebhookSecret(), { 'webhook-id': r0.id, 'webhook-timestamp': String(r0.timestamp), 'webhook-signature': 'v1,x' }, r0.raw).ok).toBe(false);

      // Receiver down: the write still succeeds at once; the delivery is retried, then dead-lettered.
      receiver.down();
      const lead = await t.token('lead', ['registry:read', 'approvals:write']);
      const alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
      await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.1.0', 2) });
      const issued = await t.call('POST', '/v1/models/churn/versions/1.1.0/approval-links', { token: lead, body: { approvers: ['bob'] } });
      expect(issued.status).toBe(201);
      expect(issued.body.notified[0].channels).toEqual(['webhook']);
      const linkId = issued.body.notified[0].linkId;
      const failures = await waitFor('dead letter', async () => {
        const f = (await t.store.readAll()).filter((e) => e.type === 'NotificationFailed' && (e.data as any).linkId === linkId);
        return f.some((e) => (e.data as any).final) ? f : undefined;
      });
      expect(failures.map((e) => [(e.data as any).attempt, (e.data as any).final, (e.data as any).error])).toEqual([
        [1, false, 'webhook: receiver answered 503'],
        [2, false, 'webhook: receiver answered 503'],
        [3, true, 'webhook: receiver answered 503'],
      ]);
      expect(failures[0].data).toHaveProperty('nextAttemptAt');
      expect(failures[0].metadata.causationId).toBe((await t.store.readStream(`approval-link-${linkId}`))[0].id);
      await new Promise((r) => setTimeout(r, 300));
      expect((await t.store.readAll()).filter((e) => (e.data as any).linkId === linkId && e.type.startsWith('Notification'))).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });

  test('a delivery still failing at shutdown is resumed after a restart (checkpoint before it), once', async () => {
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    const dataDir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/ml-resume-`);
    const env = { DATA_DIR: dataDir, APPROVERS_FILE: directory, APPROVAL_REQUESTS_AUTO: 'false', WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, NOTIFY_MAX_ATTEMPTS: '5', NOTIFY_RETRY_BASE_MS: '600000' };
    try {
      receiver.down();
      t = await startTestApp('sqlite', env);
      const alice = await t.token('alice', ['registry:read', 'registry:write']);
      const lead = await t.token('lead', ['registry:read', 'approvals:write']);
      await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
      await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) });
      const linkId = (await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob'] } })).body.notified[0].linkId;
      await waitFor('first failure', async () => (await t.store.readAll()).find((e) => e.type === 'NotificationFailed' && (e.data as any).linkId === linkId));
      await t.close();
      receiver.down(false);
      t = await startTestApp('sqlite', env);
      const sent = await waitFor('delivery after restart', async () => (await t.store.readAll()).find((e) => e.type === 'NotificationSent' && (e.data as any).linkId === linkId));
      expect(sent.data).toMatchObject({ channel: 'webhook', approver: 'bob', attempt: 2 });
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.received.filter((r) => r.body.data.linkId === linkId)).toHaveLength(1);
      expect(receiver.received[0].verified).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  test('webhooks in the Slack-compatible format: a {text} body, signed the same way', async () => {
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    try {
      t = await startTestApp('sqlite', { POLICY_FILE: policy, APPROVERS_FILE: directory, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret, WEBHOOK_FORMAT: 'slack' }, { clock });
      await registerReady(t);
      await waitFor('two webhooks', () => (receiver.received.length >= 2 ? true : undefined));
      expect(receiver.received[0].verified).toBe(true);
      expect(Object.keys(receiver.received[0].body)).toEqual(['text']);
      expect(receiver.received[0].body.text).toMatch(/^Bob B \(bob\): your decision is requested on churn 1\.0\.0.*\/approve\//s);
    } finally {
      await receiver.close();
    }
  });
});
