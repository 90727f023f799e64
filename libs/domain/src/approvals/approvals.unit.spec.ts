import { corePolicy } from '../model/policy.js';
import { initialModelState, type ModelState } from '../model/types.js';
import {
  decideNotificationOutcome,
  decideRequestApproval,
  decideRequestDeadlines,
  decideUseLink,
  evolveApprovalLink,
  evolveApprovalRequest,
  evolveNotification,
  initialApprovalLinkState,
  initialApprovalRequestState,
  initialNotificationState,
  type RequestApproval,
} from './decider.js';
import { globMatches } from '../scopes.js';
import { approverDirectory, parseApproverDirectory } from './directory.js';
import { approvalRequestOfStream, approvalRequestStream } from './events.js';

const doc = parseApproverDirectory({
  people: [
    { subject: 'alice', displayName: 'Alice', email: 'alice@example.test' },
    { subject: 'bob', displayName: 'Bob', email: 'bob@example.test' },
    { subject: 'carol', displayName: 'Carol' },
    { subject: 'rita', displayName: 'Rita' },
  ],
  groups: { reviewers: ['alice', 'bob', 'carol'], risk: ['rita'] },
  approvers: [
    { match: 'fraud-*', groups: ['risk'] },
    { match: '*', groups: ['reviewers'] },
  ],
});
const directory = approverDirectory(doc, 'sha256:test');
const policy = corePolicy({ requiredApprovals: 1 });

function modelWithVersion(name = 'churn'): ModelState {
  const s = initialModelState(name);
  return {
    ...s,
    exists: true,
    revision: 1,
    versions: {
      '1.0.0': {
        version: '1.0.0', stage: 'None', approvalStatus: 'PendingManualApproval', artifact: { uri: 's3://x', digest: `sha256:${'1'.repeat(64)}`, format: 'onnx' },
        metrics: {}, params: {}, lineage: {}, tags: {}, registeredBy: 'alice', registeredAt: '2026-01-01T00:00:00.000Z', gates: {}, approvals: [],
        stageChangedAt: '2026-01-01T00:00:00.000Z', servedInProduction: false, revision: 1,
      },
    },
  };
}

const now = new Date('2026-01-01T10:00:00.000Z');
const manual = (approvers: string[], requestedBy = 'lead'): RequestApproval => ({
  type: 'RequestApproval', requestId: 'r1', version: '1.0.0', trigger: 'manual', requestedBy, approvers, linkIds: approvers.map((_, i) => `l${i}`), now, ttlHours: 72, remindAfterHours: 24,
});

describe('approver directory', () => {
  test('rejects unknown members, bad emails, unknown groups and fields, with the path of each problem', () => {
    expect(() =>
      parseApproverDirectory({ people: [{ subject: 'a b', displayName: 'x' }, { subject: 'b', displayName: 'B', email: 'nope' }], groups: { g: ['zed'] }, approvers: [{ match: 'X', groups: ['h'] }], extra: 1 }),
    ).toThrow(/extra: unknown field.*people\[0\]\.subject.*people\[1\]\.email.*groups\.g: not in people: zed.*approvers\[0\]\.match/);
  });
  test('the first matching rule decides who may approve a model', () => {
    expect(directory.approversFor('fraud-eu').map((p) => p.subject)).toEqual(['rita']);
    expect(directory.approversFor('churn').map((p) => p.subject)).toEqual(['alice', 'bob', 'carol']);
    expect(directory.mayApprove('bob', 'fraud-eu')).toBe(false);
    expect(directory.mayApprove('ghost', 'churn')).toBe(false);
  });
  test('wildcards match in linear time', () => {
    expect(globMatches('fraud-*', 'fraud-eu')).toBe(true);
    expect(globMatches('*-*-*-x', `${'-'.repeat(5000)}`)).toBe(false);
    expect(globMatches('a*b*c', 'aXXbYYc')).toBe(true);
  });
});

describe('approval request decider', () => {
  test('a manual request issues one link per approver and names them by subject only', () => {
    const d = decideRequestApproval(modelWithVersion(), initialApprovalRequestState(), manual(['bob', 'carol']), { directory, policy });
    expect(d.request[0]).toMatchObject({ type: 'ApprovalRequested', data: { requestedBy: 'lead', directory: 'sha256:test', links: [{ approver: 'bob', linkId: 'l0' }, { approver: 'carol', linkId: 'l1' }], remindAt: '2026-01-02T10:00:00.000Z', expiresAt: '2026-01-04T10:00:00.000Z' } });
    expect(d.links.map((l) => l.event.data.approver)).toEqual(['bob', 'carol']);
    expect(JSON.stringify(d)).not.toContain('@example.test');
  });
  test('ghosts, the registrant, the issuer and other groups are refused, each named', () => {
    const refuse = (approvers: string[], by = 'lead', model = modelWithVersion()) => {
      try {
        decideRequestApproval(model, initialApprovalRequestState(), manual(approvers, by), { directory, policy });
      } catch (err) {
        return (err as { details: { rule: string; approver: string }[] }).details.map((x) => `${x.approver}:${x.rule}`);
      }
      return [];
    };
    expect(refuse(['ghost', 'alice', 'bob'], 'bob')).toEqual(['ghost:approverDirectory', 'alice:fourEyes', 'bob:issuerIsApprover']);
    expect(refuse(['bob'], 'lead', modelWithVersion('fraud-eu'))).toEqual(['bob:approverGroup']);
  });
  test('automatic: once per version, every eligible approver but the registrant; nothing when nobody is eligible', () => {
    const auto: RequestApproval = { ...manual([]), trigger: 'automatic', requestedBy: 'system:approval-requests', approvers: undefined, linkIds: ['a', 'b', 'c'] };
    const d = decideRequestApproval(modelWithVersion(), initialApprovalRequestState(), auto, { directory, policy });
    expect(d.links.map((l) => l.event.data.approver)).toEqual(['bob', 'carol']);
    const skipping = decideRequestApproval(modelWithVersion(), initialApprovalRequestState(), { ...auto, unreachable: ['carol'] }, { directory, policy });
    expect(skipping.links.map((l) => l.event.data.approver)).toEqual(['bob']);
    const after = evolveApprovalRequest(initialApprovalRequestState(), { ...d.request[0], revision: 0, recordedAt: now.toISOString() });
    expect(decideRequestApproval(modelWithVersion(), after, auto, { directory, policy }).request).toEqual([]);
    const empty = approverDirectory(parseApproverDirectory({ people: [], groups: {}, approvers: [] }), 'sha256:empty');
    expect(decideRequestApproval(modelWithVersion(), initialApprovalRequestState(), auto, { directory: empty, policy }).request).toEqual([]);
  });
  test('a reminder after the configured time to those who have not decided, then expiry', () => {
    const d = decideRequestApproval(modelWithVersion(), initialApprovalRequestState(), manual(['bob', 'carol']), { directory, policy });
    let req = evolveApprovalRequest(initialApprovalRequestState(), { ...d.request[0], revision: 0, recordedAt: now.toISOString() });
    const model = modelWithVersion();
    model.versions['1.0.0'].approvals = [{ sub: 'bob', at: now.toISOString() }];
    const at = (h: number) => new Date(now.getTime() + h * 3600_000);
    expect(decideRequestDeadlines(model, req, { version: '1.0.0', now: at(23), remindAfterHours: 24 })).toEqual([]);
    const due = decideRequestDeadlines(model, req, { version: '1.0.0', now: at(24), remindAfterHours: 24 });
    expect(due).toEqual([{ type: 'ApprovalReminderSent', data: { requestId: 'r1', model: 'churn', version: '1.0.0', reminder: 1, links: [{ approver: 'carol', linkId: 'l1' }] } }]);
    req = evolveApprovalRequest(req, { ...due[0], revision: 1, recordedAt: at(24).toISOString() });
    expect(decideRequestDeadlines(model, req, { version: '1.0.0', now: at(30), remindAfterHours: 24 })).toEqual([]);
    expect(decideRequestDeadlines(model, req, { version: '1.0.0', now: at(72), remindAfterHours: 24 })).toEqual([
      { type: 'ApprovalRequestExpired', data: { requestId: 'r1', model: 'churn', version: '1.0.0', pending: ['carol'] } },
    ]);
  });
});

describe('link and notification deciders', () => {
  test('a link is used once', () => {
    const issued = { type: 'ApprovalLinkIssued' as const, data: { jti: 'j', model: 'churn', version: '1.0.0', approver: 'bob', expiresAt: 'x', purpose: 'approval' as const } };
    let s = evolveApprovalLink(initialApprovalLinkState(), { ...issued, id: 'e1', revision: 0, recordedAt: 't', actor: 'lead' });
    const used = decideUseLink(s, { jti: 'j', decision: 'approve', position: 9 });
    expect(used[0]).toMatchObject({ type: 'ApprovalLinkUsed', data: { approver: 'bob', decision: 'approve' } });
    s = evolveApprovalLink(s, { ...used[0], id: 'e2', revision: 1, recordedAt: 't', actor: 'bob' });
    expect(() => decideUseLink(s, { jti: 'j', decision: 'approve', position: 10 })).toThrow(/already used/);
    expect(() => decideUseLink(initialApprovalLinkState(), { jti: 'j', decision: 'approve', position: 1 })).toThrow(/no record/);
  });
  test('failures count attempts, the last allowed one is a dead letter, nothing after a terminal outcome', () => {
    const facts = { trigger: 't', kind: 'approval-link' as const, channel: 'webhook' as const, model: 'm', version: '1.0.0', approver: 'bob', linkId: 'l' };
    let s = initialNotificationState();
    for (let i = 0; i < 3; i++) {
      const [e] = decideNotificationOutcome(s, { facts, ok: false, error: 'ECONNREFUSED', maxAttempts: 3, nextAttemptAt: new Date(0) });
      expect(e).toMatchObject({ type: 'NotificationFailed', data: { attempt: i + 1, final: i === 2 } });
      s = evolveNotification(s, { ...e, revision: i });
    }
    expect(decideNotificationOutcome(s, { facts, ok: true, maxAttempts: 3 })).toEqual([]);
    const [sent] = decideNotificationOutcome(initialNotificationState(), { facts, ok: true, maxAttempts: 3 });
    expect(sent).toEqual({ type: 'NotificationSent', data: { ...facts, attempt: 1 } });
  });
});

describe('approval-request stream names', () => {
  test('approvalRequestOfStream reads back what approvalRequestStream wrote, and nothing else', () => {
    for (const [model, version] of [['churn', '1.0.0'], ['fraud-eu.v2', '2.0.0-rc.1+build.7']]) {
      expect(approvalRequestOfStream(approvalRequestStream(model, version))).toEqual({ model, version });
    }
    for (const other of ['model-churn', 'approval-link-abc', 'approval-request-', 'approval-request-churn', 'approval-request-@1.0.0', 'approval-request-churn@']) {
      expect(approvalRequestOfStream(other)).toBeNull();
    }
  });
});
