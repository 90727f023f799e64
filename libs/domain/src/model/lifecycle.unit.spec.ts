import { DomainError } from '../errors.js';
import type { ModelCommand } from './commands.js';
import { decide, fold } from './decider.js';
import type { ModelEvent, RecordedModelEvent } from './events.js';
import { corePolicy, parsePolicyDocument, governancePolicy } from './policy.js';
import { initialModelState, type Actor, type ModelState } from './types.js';

const policy = corePolicy();
const writer: Actor = { sub: 'writer', scopes: ['registry:write'] };
const approver: Actor = { sub: 'approver', scopes: ['approvals:write'] };
const promoter: Actor = { sub: 'promoter', scopes: ['registry:promote', 'registry:write'] };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function run(state: ModelState, command: ModelCommand, actor: Actor = writer, p = policy): { state: ModelState; events: ModelEvent[] } {
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
const created = () => run(initialModelState('churn'), { type: 'CreateModel', name: 'churn' }).state;
const registerBare = (s: ModelState, changeKind?: 'fix') =>
  run(s, { type: 'RegisterVersion', artifact: { uri: 's3://b/m' }, allowMissingDigest: true, ...(changeKind ? { changeKind } : {}) });
const registerWith = (s: ModelState, n: number) => run(s, { type: 'RegisterVersion', artifact: { uri: `s3://b/${n}`, digest: digest(n), format: 'onnx' } });

describe('digest-less registration (MLflow path)', () => {
  test('the native path still requires a digest', () => {
    expect(error(() => run(created(), { type: 'RegisterVersion', artifact: { uri: 's3://x' } })).code).toBe('DIGEST_REQUIRED');
  });

  test('without a digest: MINOR bump unless declared a fix, MLflow numbers in registration order', () => {
    let s = registerWith(created(), 1).state;
    s = registerBare(s).state;
    s = registerBare(s, 'fix').state;
    expect(Object.values(s.versions).map((v) => [v.version, v.mlflowVersion])).toEqual([
      ['1.0.0', 1],
      ['1.1.0', 2],
      ['1.1.1', 3],
    ]);
    // Two digest-less versions are not "the same artifact": the second one is still a new artifact.
    expect(registerBare(s).state.versions['1.2.0']).toBeDefined();
  });

  test('a digest is recorded once; the same value again is a no-op, a different one is refused', () => {
    let s = registerBare(created()).state;
    const first = run(s, { type: 'RecordArtifactDigest', version: '1.0.0', digest: digest(7) });
    expect(first.events).toEqual([{ type: 'ArtifactDigestRecorded', data: { version: '1.0.0', digest: digest(7) } }]);
    s = first.state;
    expect(s.versions['1.0.0'].artifact.digest).toBe(digest(7));
    expect(run(s, { type: 'RecordArtifactDigest', version: '1.0.0', digest: digest(7) }).events).toEqual([]);
    expect(error(() => run(s, { type: 'RecordArtifactDigest', version: '1.0.0', digest: digest(8) })).code).toBe('DIGEST_ALREADY_RECORDED');
    expect(error(() => run(s, { type: 'RecordArtifactDigest', version: '1.0.0', digest: 'md5:abc' })).code).toBe('INVALID_DIGEST');
  });

  test('without a digest no policy lets the version reach Production or a protected alias; the refusal says why', () => {
    const lenient = governancePolicy(parsePolicyDocument({ default: { requiredApprovals: 1, allowSelfApproval: true } }), 'lenient');
    let s = registerBare(created()).state;
    s = run(s, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, approver, lenient).state;
    for (const cmd of [
      { type: 'TransitionStage', version: '1.0.0', stage: 'Production' },
      { type: 'SetAlias', alias: 'champion', version: '1.0.0' },
      { type: 'SetAlias', alias: 'prod', version: '1.0.0' },
    ] as ModelCommand[]) {
      const e = error(() => run(s, cmd, promoter, lenient));
      expect(e.code).toBe('PROMOTION_REQUIREMENTS_UNMET');
      expect(e.message).toContain('has no artifact digest');
    }
    // Staging is evaluation, not serving: allowed without a digest.
    expect(run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Staging' }, promoter, lenient).events.map((e) => e.type)).toEqual(['StageChanged']);
    s = run(s, { type: 'RecordArtifactDigest', version: '1.0.0', digest: digest(3) }).state;
    expect(run(s, { type: 'SetAlias', alias: 'champion', version: '1.0.0' }, promoter, lenient).events.map((e) => e.type)).toEqual(['AliasSet']);
  });
});

describe('tombstones', () => {
  function served(): ModelState {
    let s = registerWith(created(), 1).state;
    s = registerWith(s, 2).state;
    s = registerWith(s, 3).state;
    s = run(s, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, approver).state;
    s = run(s, { type: 'DecideApproval', version: '1.1.0', decision: 'approve' }, approver).state;
    s = run(s, { type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, promoter).state;
    s = run(s, { type: 'SetAlias', alias: 'champion', version: '1.1.0' }, promoter).state;
    return run(s, { type: 'SetAlias', alias: 'shadow', version: '1.2.0' }).state;
  }

  test('a version in Production or behind a protected alias cannot be deleted', () => {
    const s = served();
    expect(error(() => run(s, { type: 'DeleteVersion', version: '1.0.0' })).code).toBe('VERSION_IN_SERVICE');
    const e = error(() => run(s, { type: 'DeleteVersion', version: '1.1.0' }));
    expect(e.code).toBe('VERSION_IN_SERVICE');
    expect(e.message).toContain('@champion');
  });

  test('deleting a version takes its plain aliases with it; afterwards it is not found for any command', () => {
    const { state, events } = run(served(), { type: 'DeleteVersion', version: '1.2.0' });
    expect(events).toEqual([
      { type: 'AliasRemoved', data: { alias: 'shadow', version: '1.2.0' } },
      { type: 'VersionDeleted', data: { version: '1.2.0', mlflowVersion: 3 } },
    ]);
    expect(state.versions['1.2.0'].deleted).toEqual({ by: 'writer', at: '2026-01-01T00:00:00.000Z' });
    expect(state.aliases.shadow).toBeUndefined();
    expect(error(() => run(state, { type: 'DecideApproval', version: '1.2.0', decision: 'approve' }, approver)).code).toBe('VERSION_NOT_FOUND');
    expect(error(() => run(state, { type: 'DeleteVersion', version: '1.2.0' })).code).toBe('VERSION_NOT_FOUND');
    // MLflow numbers are never reused.
    expect(registerWith(state, 4).state.versions['1.3.0'].mlflowVersion).toBe(4);
  });

  test('a model is deleted only with registry:promote and only when nothing of it is in service', () => {
    const s = served();
    expect(error(() => run(s, { type: 'DeleteModel' }, writer)).code).toBe('MISSING_SCOPE');
    expect(error(() => run(s, { type: 'DeleteModel' }, promoter)).code).toBe('VERSION_IN_SERVICE');
    const quiet = registerWith(created(), 1).state;
    const withAlias = run(quiet, { type: 'SetAlias', alias: 'shadow', version: '1.0.0' }).state;
    const { state, events } = run(withAlias, { type: 'DeleteModel' }, promoter);
    expect(events.map((e) => e.type)).toEqual(['AliasRemoved', 'ModelDeleted']);
    expect(error(() => run(state, { type: 'SetModelTag', key: 'k', value: 'v' })).code).toBe('MODEL_NOT_FOUND');
    // The name stays taken: the stream is the model's identity.
    expect(error(() => run(state, { type: 'CreateModel', name: 'churn' })).code).toBe('MODEL_DELETED');
  });
});

describe('tags and descriptions after creation', () => {
  test('model and version tags are set and deleted by events; unchanged values write nothing', () => {
    let s = registerWith(created(), 1).state;
    s = run(s, { type: 'SetModelTag', key: 'team', value: 'risk' }).state;
    expect(run(s, { type: 'SetModelTag', key: 'team', value: 'risk' }).events).toEqual([]);
    s = run(s, { type: 'SetVersionTag', version: '1.0.0', key: 'k', value: 'v' }).state;
    s = run(s, { type: 'UpdateModelDescription', description: 'churn model' }).state;
    s = run(s, { type: 'UpdateVersionDescription', version: '1.0.0', description: 'first' }).state;
    expect([s.tags, s.description, s.versions['1.0.0'].tags, s.versions['1.0.0'].description]).toEqual([{ team: 'risk' }, 'churn model', { k: 'v' }, 'first']);
    s = run(s, { type: 'DeleteModelTag', key: 'team' }).state;
    s = run(s, { type: 'DeleteVersionTag', version: '1.0.0', key: 'k' }).state;
    expect([s.tags, s.versions['1.0.0'].tags]).toEqual([{}, {}]);
    expect(error(() => run(s, { type: 'DeleteModelTag', key: 'team' })).code).toBe('TAG_NOT_FOUND');
    expect(error(() => run(s, { type: 'SetModelTag', key: '', value: 'v' })).code).toBe('INVALID_TAG');
  });
});
