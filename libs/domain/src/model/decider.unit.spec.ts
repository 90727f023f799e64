import { DomainError } from '../errors.js';
import type { ModelCommand } from './commands.js';
import { aliasScope, decide, evolve, fold, transitionScope } from './decider.js';
import type { ModelEvent, RecordedModelEvent } from './events.js';
import { corePolicy } from './policy.js';
import { initialModelState, productionVersion, type Actor, type ModelState } from './types.js';

const policy = corePolicy();
const alice: Actor = { sub: 'alice', scopes: ['registry:read', 'registry:write', 'gates:write', 'approvals:write'] };
const bob: Actor = { sub: 'bob', scopes: ['approvals:write'] };
const carol: Actor = { sub: 'carol', scopes: ['approvals:write'] };
const rm: Actor = { sub: 'rm', scopes: ['registry:promote'] };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Decides against `state` and folds the result in, like the command service does. */
function run(state: ModelState, command: ModelCommand, actor: Actor = alice, p = policy): { state: ModelState; events: ModelEvent[] } {
  const events = decide(command, state, { actor, policy: p });
  let revision = state.revision;
  const recorded = events.map((e) => ({ ...e, actor, recordedAt: '2026-01-01T00:00:00.000Z', revision: ++revision }) as RecordedModelEvent);
  return { state: fold(state, recorded), events };
}

function error(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

function withVersions(...versions: string[]): ModelState {
  let s = run(initialModelState('churn'), { type: 'CreateModel', name: 'churn' }).state;
  versions.forEach((version, i) => {
    s = run(s, { type: 'RegisterVersion', version, artifact: { uri: `s3://m/${version}`, digest: digest(i + 1), format: 'onnx' } }).state;
  });
  return s;
}
const approve = (s: ModelState, version: string, actor = bob) => run(s, { type: 'DecideApproval', version, decision: 'approve' }, actor).state;
const promote = (s: ModelState, version: string, archiveExisting = true) =>
  run(s, { type: 'TransitionStage', version, stage: 'Production', archiveExisting }, rm);

describe('decider', () => {
  test('a model is created once', () => {
    const s = withVersions();
    expect(s.exists).toBe(true);
    expect(error(() => run(s, { type: 'CreateModel', name: 'churn' })).code).toBe('MODEL_EXISTS');
  });

  test('a version cannot be registered on a missing model or twice', () => {
    const missing = initialModelState('ghost');
    expect(error(() => run(missing, { type: 'RegisterVersion', version: '1.0.0', artifact: { uri: 'x', digest: digest(1), format: 'onnx' } })).code).toBe(
      'MODEL_NOT_FOUND',
    );
    const s = withVersions('1.0.0');
    expect(error(() => run(s, { type: 'RegisterVersion', version: '1.0.0', artifact: { uri: 'x', digest: digest(9), format: 'onnx' } })).code).toBe(
      'VERSION_EXISTS',
    );
  });

  test('re-registering an artifact digest is reported, and recorded as duplicateOf only on purpose', () => {
    const s = withVersions('1.0.0');
    const dup = error(() => run(s, { type: 'RegisterVersion', version: '1.0.1', artifact: { uri: 'y', digest: digest(1), format: 'onnx' } }));
    expect(dup).toMatchObject({ code: 'DUPLICATE_ARTIFACT', extra: { existingVersion: '1.0.0' } });
    const { events } = run(s, { type: 'RegisterVersion', version: '1.0.1', artifact: { uri: 'y', digest: digest(1), format: 'onnx' }, allowDuplicateArtifact: true });
    expect(events[0]).toMatchObject({ type: 'VersionRegistered', data: { duplicateOf: '1.0.0' } });
  });

  test('a registered version starts in None, pending approval', () => {
    const v = withVersions('1.0.0').versions['1.0.0'];
    expect(v).toMatchObject({ stage: 'None', approvalStatus: 'PendingManualApproval', registeredBy: 'alice' });
  });

  test('promotion to Production requires approval and lists the unmet requirement', () => {
    const s = withVersions('1.0.0');
    const err = error(() => promote(s, '1.0.0'));
    expect(err.code).toBe('PROMOTION_REQUIREMENTS_UNMET');
    expect(err.kind).toBe('precondition');
    expect((err.extra.unmet as { code: string }[]).map((u) => u.code)).toEqual(['APPROVAL_REQUIRED']);
  });

  test('promotion to Production requires registry:promote for the model', () => {
    const s = approve(withVersions('1.0.0'), '1.0.0');
    expect(error(() => run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, alice)).code).toBe('MISSING_SCOPE');
    const scoped: Actor = { sub: 'x', scopes: ['registry:promote:fraud-*'] };
    expect(error(() => run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, scoped)).kind).toBe('forbidden');
  });

  test('promoting archives the incumbent and moves @prod in the same decision', () => {
    let s = approve(approve(withVersions('1.0.0', '1.1.0'), '1.0.0'), '1.1.0');
    s = promote(s, '1.0.0').state;
    const { state, events } = promote(s, '1.1.0');
    expect(events.map((e) => e.type)).toEqual(['VersionArchived', 'VersionPromoted', 'AliasSet']);
    expect(events[0].data).toEqual({ version: '1.0.0', from: 'Production', supersededBy: '1.1.0' });
    expect(events[2].data).toEqual({ alias: 'prod', version: '1.1.0', previousVersion: '1.0.0' });
    expect(productionVersion(state)?.version).toBe('1.1.0');
    expect(state.versions['1.0.0'].stage).toBe('Archived');
    expect(state.aliases).toEqual({ prod: '1.1.0' });
  });

  test('promoting with archiveExisting: false while another version is in Production is a conflict', () => {
    let s = approve(approve(withVersions('1.0.0', '1.1.0'), '1.0.0'), '1.1.0');
    s = promote(s, '1.0.0').state;
    expect(error(() => promote(s, '1.1.0', false))).toMatchObject({ code: 'PRODUCTION_OCCUPIED', kind: 'conflict' });
  });

  test('a rejected version cannot be approved, staged or promoted', () => {
    const s = run(withVersions('1.0.0'), { type: 'DecideApproval', version: '1.0.0', decision: 'reject', comment: 'no' }, bob).state;
    expect(s.versions['1.0.0'].approvalStatus).toBe('Rejected');
    expect(error(() => approve(s, '1.0.0', carol)).code).toBe('VERSION_REJECTED');
    expect(error(() => run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Staging' })).code).toBe('VERSION_REJECTED');
    expect(error(() => promote(s, '1.0.0')).code).toBe('VERSION_REJECTED');
  });

  test('an archived version comes back to Production only through rollback', () => {
    let s = approve(approve(withVersions('1.0.0', '1.1.0'), '1.0.0'), '1.1.0');
    s = promote(promote(s, '1.0.0').state, '1.1.0').state;
    expect(error(() => promote(s, '1.0.0')).code).toBe('ARCHIVED_VERSION_USE_ROLLBACK');
    const { state, events } = run(s, { type: 'Rollback', toVersion: '1.0.0' }, rm);
    expect(events.map((e) => e.type)).toEqual(['RolledBack', 'VersionArchived', 'VersionPromoted', 'AliasSet']);
    expect(productionVersion(state)?.version).toBe('1.0.0');
    expect(state.versions['1.1.0'].stage).toBe('Archived');
    // An archived version may be re-staged for re-evaluation, by someone who may promote.
    expect(error(() => run(state, { type: 'TransitionStage', version: '1.1.0', stage: 'Staging' }, alice))).toMatchObject({
      code: 'MISSING_SCOPE',
      extra: { requiredScope: 'registry:promote' },
    });
    expect(run(state, { type: 'TransitionStage', version: '1.1.0', stage: 'Staging' }, rm).state.versions['1.1.0'].stage).toBe('Staging');
  });

  test('rollback targets only approved versions that served in Production before', () => {
    let s = approve(approve(withVersions('1.0.0', '1.1.0', '1.2.0'), '1.0.0'), '1.1.0');
    s = promote(s, '1.0.0').state;
    expect(error(() => run(s, { type: 'Rollback', toVersion: '1.1.0' }, rm)).code).toBe('ROLLBACK_TARGET_NEVER_IN_PRODUCTION');
    expect(error(() => run(s, { type: 'Rollback', toVersion: '1.2.0' }, rm)).code).toBe('ROLLBACK_TARGET_NOT_APPROVED');
    expect(error(() => run(s, { type: 'Rollback', toVersion: '1.0.0' }, rm)).code).toBe('ALREADY_IN_PRODUCTION');
  });

  test('the registrant cannot approve their own version (four-eyes)', () => {
    const s = withVersions('1.0.0');
    expect(error(() => approve(s, '1.0.0', alice))).toMatchObject({ code: 'SELF_APPROVAL_FORBIDDEN', kind: 'forbidden' });
    const lenient = corePolicy({ allowSelfApproval: true });
    expect(run(s, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, alice, lenient).state.versions['1.0.0'].approvalStatus).toBe('Approved');
  });

  test('N-of-M: Approved only when the N-th distinct approval lands', () => {
    const twoOf = corePolicy({ requiredApprovals: 2 });
    let s = withVersions('1.0.0');
    const first = run(s, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, bob, twoOf);
    expect(first.events[0].type).toBe('ApprovalRecorded');
    s = first.state;
    expect(s.versions['1.0.0'].approvalStatus).toBe('PendingManualApproval');
    expect(error(() => run(s, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, bob, twoOf)).code).toBe('DUPLICATE_APPROVER');
    s = run(s, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, carol, twoOf).state;
    expect(s.versions['1.0.0'].approvalStatus).toBe('Approved');
    expect(s.versions['1.0.0'].approvals.map((a) => a.sub)).toEqual(['bob', 'carol']);
  });

  test('aliases point only at existing, non-archived versions; archiving removes them first', () => {
    let s = withVersions('1.0.0', '1.1.0');
    expect(error(() => run(s, { type: 'SetAlias', alias: 'canary', version: '9.0.0' })).code).toBe('VERSION_NOT_FOUND');
    expect(error(() => run(s, { type: 'SetAlias', alias: 'Bad Alias', version: '1.0.0' })).code).toBe('INVALID_ALIAS');
    s = run(s, { type: 'SetAlias', alias: 'canary', version: '1.0.0' }).state;
    expect(run(s, { type: 'SetAlias', alias: 'canary', version: '1.0.0' }).events).toEqual([]);
    const archived = run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Archived' }, rm);
    expect(archived.events.map((e) => e.type)).toEqual(['AliasRemoved', 'VersionArchived']);
    expect(archived.state.aliases).toEqual({});
    expect(error(() => run(archived.state, { type: 'SetAlias', alias: 'canary', version: '1.0.0' })).code).toBe('VERSION_ARCHIVED');
  });

  test('setting @prod is a promotion; protected aliases need registry:promote and approval', () => {
    let s = withVersions('1.0.0');
    expect(error(() => run(s, { type: 'SetAlias', alias: 'champion', version: '1.0.0' }, alice)).code).toBe('MISSING_SCOPE');
    expect(error(() => run(s, { type: 'SetAlias', alias: 'champion', version: '1.0.0' }, rm)).code).toBe('PROMOTION_REQUIREMENTS_UNMET');
    s = approve(s, '1.0.0');
    const viaAlias = run(s, { type: 'SetAlias', alias: 'prod', version: '1.0.0' }, rm);
    expect(viaAlias.events.map((e) => e.type)).toEqual(['VersionPromoted', 'AliasSet']);
    expect(error(() => run(viaAlias.state, { type: 'RemoveAlias', alias: 'prod' }, rm)).code).toBe('PROD_ALIAS_FOLLOWS_STAGE');
  });

  test('leaving Production for Staging needs registry:promote and takes @prod along', () => {
    let s = approve(withVersions('1.0.0'), '1.0.0');
    s = promote(s, '1.0.0').state;
    expect(error(() => run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Staging' }, alice))).toMatchObject({
      code: 'MISSING_SCOPE',
      kind: 'forbidden',
      extra: { requiredScope: 'registry:promote' },
    });
    const { state, events } = run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Staging' }, rm);
    expect(events.map((e) => e.type)).toEqual(['AliasRemoved', 'StageChanged']);
    expect(state.aliases).toEqual({});
  });

  test('the scope table: Production and Archived on either side need registry:promote, None ↔ Staging registry:write', () => {
    const promoteNeeded = ['None>Production', 'None>Archived', 'Staging>Production', 'Staging>Archived', 'Production>Staging', 'Production>Archived', 'Archived>Staging', 'Archived>Production', 'Production>Production', 'Archived>Archived'];
    for (const from of ['None', 'Staging', 'Production', 'Archived'] as const) {
      // None is never a target: versions start there and cannot go back.
      for (const to of ['Staging', 'Production', 'Archived'] as const) {
        const expected = promoteNeeded.includes(`${from}>${to}`) ? 'registry:promote' : 'registry:write';
        expect(`${from}>${to}: ${transitionScope(from, to)}`).toBe(`${from}>${to}: ${expected}`);
      }
    }
    expect(aliasScope(policy, 'churn', 'prod')).toBe('registry:promote');
    expect(aliasScope(policy, 'churn', 'champion')).toBe('registry:promote');
    expect(aliasScope(policy, 'churn', 'canary')).toBe('registry:write');
    // @prod stays protected even when a policy forgets to list it.
    expect(aliasScope(corePolicy({ protectedAliases: ['champion'] }), 'churn', 'prod')).toBe('registry:promote');
  });

  test('plain aliases need registry:write, protected ones registry:promote, for set, move and delete alike', () => {
    let s = approve(withVersions('1.0.0', '1.1.0'), '1.0.0');
    s = approve(s, '1.1.0');
    const promoteOnly: Actor = { sub: 'p', scopes: ['registry:promote'] };
    expect(error(() => run(s, { type: 'SetAlias', alias: 'canary', version: '1.0.0' }, promoteOnly)).extra).toEqual({ requiredScope: 'registry:write' });
    s = run(s, { type: 'SetAlias', alias: 'canary', version: '1.0.0' }, alice).state;
    s = run(s, { type: 'SetAlias', alias: 'champion', version: '1.0.0' }, rm).state;
    expect(error(() => run(s, { type: 'SetAlias', alias: 'champion', version: '1.1.0' }, alice)).extra).toEqual({ requiredScope: 'registry:promote' });
    expect(error(() => run(s, { type: 'RemoveAlias', alias: 'champion' }, alice)).extra).toEqual({ requiredScope: 'registry:promote' });
    expect(error(() => run(s, { type: 'RemoveAlias', alias: 'canary' }, promoteOnly)).extra).toEqual({ requiredScope: 'registry:write' });
    // Refused before the version is looked up, and even when it would be a no-op: the answer must not depend on the state.
    expect(error(() => run(s, { type: 'SetAlias', alias: 'champion', version: '9.9.9' }, alice)).code).toBe('MISSING_SCOPE');
    expect(error(() => run(s, { type: 'SetAlias', alias: 'champion', version: '1.0.0' }, alice)).code).toBe('MISSING_SCOPE');
    expect(run(s, { type: 'RemoveAlias', alias: 'champion' }, rm).events.map((e) => e.type)).toEqual(['AliasRemoved']);
    expect(run(s, { type: 'RemoveAlias', alias: 'canary' }, alice).events.map((e) => e.type)).toEqual(['AliasRemoved']);
  });

  test('qualified scopes keep working for the models they name', () => {
    const s = approve(withVersions('1.0.0'), '1.0.0');
    const churnOnly: Actor = { sub: 'q', scopes: ['registry:promote:chu*'] };
    const fraudOnly: Actor = { sub: 'q', scopes: ['registry:promote:fraud-*'] };
    expect(run(s, { type: 'SetAlias', alias: 'prod', version: '1.0.0' }, churnOnly).events.map((e) => e.type)).toEqual(['VersionPromoted', 'AliasSet']);
    expect(error(() => run(s, { type: 'SetAlias', alias: 'prod', version: '1.0.0' }, fraudOnly)).code).toBe('MISSING_SCOPE');
  });

  test('gate results are recorded per gate; the latest result of a gate wins', () => {
    let s = withVersions('1.0.0');
    s = run(s, { type: 'RecordGateResult', version: '1.0.0', gate: 'fairness', status: 'failed', metrics: { gap: 0.2 } }).state;
    s = run(s, { type: 'RecordGateResult', version: '1.0.0', gate: 'fairness', status: 'passed', metrics: { gap: 0.01 } }).state;
    expect(s.versions['1.0.0'].gates.fairness).toMatchObject({ status: 'passed', metrics: { gap: 0.01 }, recordedBy: 'alice' });
  });

  test('evolve is a pure fold: replaying the same events gives the same state', () => {
    const events: RecordedModelEvent[] = [
      { type: 'ModelCreated', data: { name: 'm', owners: [], tags: {} }, actor: alice, recordedAt: 't0', revision: 0 },
      { type: 'VersionRegistered', data: { version: '1.0.0', artifact: { uri: 'u', digest: digest(1), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }, actor: alice, recordedAt: 't1', revision: 1 },
    ];
    const a = fold(initialModelState('m'), events);
    const b = events.reduce(evolve, initialModelState('m'));
    expect(a).toEqual(b);
    expect(a.revision).toBe(1);
  });
});
