import { randomBytes } from 'node:crypto';
import { ApprovalScheduler } from '../../apps/registry-api/src/application/approval-scheduler.js';
import { newWebhookSecret } from '#notifications';
import { approversFile } from '../support/approvers.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { waitFor } from '../support/links.js';
import { MAILPIT_SMTP_URL, waitForMail } from '../support/mailpit.js';
import { policyFile } from '../support/policy.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Figure 10.5 unattended, against real services: PostgreSQL, Mailpit (SMTP + its HTTP API) and a
 * local HTTP webhook receiver that verifies Standard Webhooks signatures. Nobody hands a link to
 * the test: it reads the approver's email and follows the link in it.
 */
describe('Figure 10.5 with email (Mailpit) and signed webhooks (PostgreSQL)', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const run = randomBytes(4).toString('hex');
  const mail = (who: string) => `${who}+${run}@example.test`;
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };

  beforeAll(async () => {
    const secret = newWebhookSecret();
    receiver = await startWebhookReceiver(secret);
    t = await startTestApp(
      'postgres',
      {
        POLICY_FILE: policyFile({ default: { gates: { production: ['lineage-complete', 'image-pinned', { name: 'fairness', max: { subgroup_gap: 0.05 } }] } } }),
        APPROVERS_FILE: approversFile({
          people: ['alice', 'bob', 'carol'].map((s) => ({ subject: s, displayName: `${s[0].toUpperCase()}${s.slice(1)}`, email: mail(s) })),
          groups: { 'ml-reviewers': ['alice', 'bob', 'carol'] },
          approvers: [{ match: '*', groups: ['ml-reviewers'] }],
        }),
        SMTP_URL: MAILPIT_SMTP_URL,
        MAIL_FROM: 'model-ledger <ledger@example.test>',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: secret,
        NOTIFY_MAX_ATTEMPTS: '3',
        NOTIFY_RETRY_BASE_MS: '50',
        APPROVAL_REMINDER_HOURS: '24',
      },
      { clock },
    );
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  test('register → CI gate → server requests approval → email → follow the link → approve → promote; webhooks signed', async () => {
    const alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
    const rm = await t.token('rm', ['registry:read', 'registry:promote']);
    await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn', owners: ['alice'] } });
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('7.0.0', 7) })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions/7.0.0/gates', { token: alice, body: { gate: 'fairness', status: 'passed', metrics: { subgroup_gap: 0.02 } } })).status).toBe(201);

    // The server asked bob and carol (not alice, the registrant) by email.
    const email = await waitForMail(mail('bob'), /^Approval requested: churn 7\.0\.0$/);
    expect(email.Text).toContain('Bob (bob): your decision is requested on churn 7.0.0');
    expect(email.link).toMatch(new RegExp(`^${t.url}/approve/`));
    await waitForMail(mail('carol'), /^Approval requested: churn 7\.0\.0$/);

    // The test follows the link from the email, as the approver's browser would.
    const shown = await fetch(email.link!);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('churn');
    const approved = await fetch(email.link!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ decision: 'approve', comment: 'lineage checked' }).toString() });
    expect(approved.status).toBe(200);
    const promoted = await t.call('POST', '/v1/models/churn/versions/7.0.0/transitions', { token: rm, body: { stage: 'Production' } });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ stage: 'Production', approvalStatus: 'Approved', approvals: [expect.objectContaining({ sub: 'bob' })] });

    // The webhook receiver got one signed delivery per approver and verified each signature.
    await waitFor('two webhooks', () => (receiver.received.length >= 2 ? true : undefined));
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(receiver.received.map((r) => `${r.body.type}:${r.body.data.approver}`).sort()).toEqual(['approval.requested:bob', 'approval.requested:carol']);

    // Audit trail: every notification by subject and channel, never an address or a token.
    const notified = (await t.store.readAll()).filter((e) => e.type === 'NotificationSent');
    expect(notified.map((e) => `${(e.data as any).channel}:${(e.data as any).approver}`).sort()).toEqual(['email:bob', 'email:carol', 'webhook:bob', 'webhook:carol']);
    expect(JSON.stringify(await t.store.readAll())).not.toMatch(new RegExp(`${run}|/approve/`));
  });

  test('with the receiver down writes still succeed; webhook deliveries are retried then dead-lettered; email still arrives; a reminder fires after the configured time', async () => {
    receiver.down();
    const alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('7.1.0', 8) })).status).toBe(201);
    const gate = await t.call('POST', '/v1/models/churn/versions/7.1.0/gates', { token: alice, body: { gate: 'fairness', status: 'passed', metrics: { subgroup_gap: 0.01 } } });
    expect(gate.status).toBe(201);
    await waitForMail(mail('carol'), /^Approval requested: churn 7\.1\.0$/);
    const dead = await waitFor('dead letters for both approvers', async () => {
      const failed = (await t.store.readAll()).filter((e) => e.type === 'NotificationFailed' && (e.data as any).version === '7.1.0');
      return failed.filter((e) => (e.data as any).final).length === 2 ? failed : undefined;
    });
    expect(dead.filter((e) => (e.data as any).approver === 'bob').map((e) => [(e.data as any).attempt, (e.data as any).final])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    receiver.down(false);

    // Nobody decides; after APPROVAL_REMINDER_HOURS (injected clock) both are reminded by email, with the same link.
    offset.ms = 24 * 3600_000 + 5000;
    expect(await t.app.get(ApprovalScheduler).tick()).toBe(1);
    const reminder = await waitForMail(mail('carol'), /^Reminder: approval requested: churn 7\.1\.0$/);
    const original = await waitForMail(mail('carol'), /^Approval requested: churn 7\.1\.0$/);
    expect(reminder.link).toBe(original.link);
    await waitFor('reminder webhooks', () => (receiver.received.filter((r) => r.body.type === 'approval.reminder').length === 2 ? true : undefined));
    expect(receiver.received.filter((r) => r.body.type === 'approval.reminder').every((r) => r.verified)).toBe(true);
  });
});
