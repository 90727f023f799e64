import { conflict, invalid, notFound } from '../errors.js';
import { Scopes, hasScope } from '../scopes.js';
import { forbidden } from '../errors.js';
import type {
  DeleteModelTag,
  DeleteVersion,
  DeleteVersionTag,
  RecordArtifactDigest,
  SetModelTag,
  SetVersionTag,
  UpdateModelDescription,
  UpdateVersionDescription,
} from './commands.js';
import type { ModelEvent, RecordedModelEvent } from './events.js';
import type { PromotionPolicy } from './policy.js';
import { DIGEST_PATTERN, PROD_ALIAS, type Actor, type ModelState, type VersionState } from './types.js';

/**
 * Decisions and state changes added for the MLflow-compatible API: a digest recorded after
 * registration, tags and descriptions that change after creation, and tombstones. Kept apart
 * from decider.ts so the core promotion rules stay readable; decide/evolve delegate here.
 */
export interface LifecycleContext {
  actor: Actor;
  policy: PromotionPolicy;
}

export const TAG_KEY_MAX = 250;
export const TAG_VALUE_MAX = 5000;
export const DESCRIPTION_MAX = 5000;

export function requireLiveModel(state: ModelState): void {
  if (!state.exists) throw notFound('MODEL_NOT_FOUND', `model '${state.name}' does not exist`, { model: state.name });
  if (state.deleted) throw notFound('MODEL_NOT_FOUND', `model '${state.name}' was deleted`, { model: state.name, deleted: true });
}

export function requireLiveVersion(state: ModelState, version: string): VersionState {
  requireLiveModel(state);
  const v = state.versions[version];
  if (!v) throw notFound('VERSION_NOT_FOUND', `model '${state.name}' has no version ${version}`, { model: state.name, version });
  if (v.deleted) throw notFound('VERSION_NOT_FOUND', `version ${version} of model '${state.name}' was deleted`, { model: state.name, version, deleted: true });
  return v;
}

function checkTag(key: string, value?: string): void {
  const problems = [];
  if (key.length === 0 || key.length > TAG_KEY_MAX) problems.push({ field: 'key', rule: 'length', message: `tag key must be 1 to ${TAG_KEY_MAX} characters` });
  if (value !== undefined && value.length > TAG_VALUE_MAX) problems.push({ field: 'value', rule: 'length', message: `tag value must be at most ${TAG_VALUE_MAX} characters` });
  if (problems.length) throw invalid('INVALID_TAG', problems.map((p) => p.message).join('; '), problems);
}

function checkDescription(description: string): void {
  if (description.length > DESCRIPTION_MAX) {
    throw invalid('INVALID_DESCRIPTION', `description must be at most ${DESCRIPTION_MAX} characters`, [
      { field: 'description', rule: 'length', message: `at most ${DESCRIPTION_MAX} characters` },
    ]);
  }
}

/** Aliases of `version` the policy protects (`prod` always is). */
function protectedAliasesOf(state: ModelState, version: string, policy: PromotionPolicy): string[] {
  const protectedNames = new Set([PROD_ALIAS, ...policy.protectedAliases(state.name)]);
  return Object.entries(state.aliases)
    .filter(([alias, v]) => v === version && protectedNames.has(alias))
    .map(([alias]) => alias)
    .sort();
}

function refuseIfServing(state: ModelState, v: VersionState, policy: PromotionPolicy, what: string): void {
  const guarded = protectedAliasesOf(state, v.version, policy);
  if (v.stage === 'Production' || guarded.length) {
    const why = [v.stage === 'Production' ? 'is in Production' : null, guarded.length ? `is behind protected alias ${guarded.map((a) => `@${a}`).join(', ')}` : null]
      .filter(Boolean)
      .join(' and ');
    throw conflict('VERSION_IN_SERVICE', `${what}: version ${v.version} ${why}; archive it or move the alias first`, {
      version: v.version,
      stage: v.stage,
      protectedAliases: guarded,
    });
  }
}

export function decideRecordDigest(state: ModelState, cmd: RecordArtifactDigest): ModelEvent[] {
  const v = requireLiveVersion(state, cmd.version);
  if (!DIGEST_PATTERN.test(cmd.digest)) {
    throw invalid('INVALID_DIGEST', `digest '${cmd.digest.slice(0, 80)}' is not sha256:<64 hex>`, [
      { field: 'digest', rule: 'pattern', message: 'must be "sha256:" followed by 64 lowercase hex characters' },
    ]);
  }
  if (v.artifact.digest === cmd.digest) return [];
  if (v.artifact.digest) {
    throw conflict('DIGEST_ALREADY_RECORDED', `version ${v.version} already has artifact digest ${v.artifact.digest}; a recorded digest never changes`, {
      version: v.version,
      digest: v.artifact.digest,
    });
  }
  return [{ type: 'ArtifactDigestRecorded', data: { version: v.version, digest: cmd.digest } }];
}

export function decideDeleteVersion(state: ModelState, cmd: DeleteVersion, ctx: LifecycleContext): ModelEvent[] {
  const v = requireLiveVersion(state, cmd.version);
  refuseIfServing(state, v, ctx.policy, 'cannot delete');
  // Plain aliases go with the version, so resolution never reaches a tombstone.
  const events: ModelEvent[] = Object.entries(state.aliases)
    .filter(([, target]) => target === v.version)
    .map(([alias]) => ({ type: 'AliasRemoved', data: { alias, version: v.version } }));
  events.push({ type: 'VersionDeleted', data: { version: v.version, ...(v.mlflowVersion ? { mlflowVersion: v.mlflowVersion } : {}) } });
  return events;
}

export function decideDeleteModel(state: ModelState, ctx: LifecycleContext): ModelEvent[] {
  requireLiveModel(state);
  if (!hasScope(ctx.actor.scopes, Scopes.promote, state.name)) {
    throw forbidden('MISSING_SCOPE', `deleting a model requires scope '${Scopes.promote}'`, { requiredScope: Scopes.promote });
  }
  for (const v of Object.values(state.versions)) if (!v.deleted) refuseIfServing(state, v, ctx.policy, `cannot delete model '${state.name}'`);
  const events: ModelEvent[] = Object.entries(state.aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => ({ type: 'AliasRemoved', data: { alias, version } }));
  events.push({ type: 'ModelDeleted', data: { name: state.name } });
  return events;
}

export function decideSetModelTag(state: ModelState, cmd: SetModelTag): ModelEvent[] {
  requireLiveModel(state);
  checkTag(cmd.key, cmd.value);
  if (state.tags[cmd.key] === cmd.value) return [];
  return [{ type: 'ModelTagSet', data: { key: cmd.key, value: cmd.value } }];
}

export function decideDeleteModelTag(state: ModelState, cmd: DeleteModelTag): ModelEvent[] {
  requireLiveModel(state);
  checkTag(cmd.key);
  if (!(cmd.key in state.tags)) throw notFound('TAG_NOT_FOUND', `model '${state.name}' has no tag '${cmd.key}'`, { key: cmd.key });
  return [{ type: 'ModelTagDeleted', data: { key: cmd.key } }];
}

export function decideUpdateModelDescription(state: ModelState, cmd: UpdateModelDescription): ModelEvent[] {
  requireLiveModel(state);
  checkDescription(cmd.description);
  if ((state.description ?? '') === cmd.description) return [];
  return [{ type: 'ModelDescriptionUpdated', data: { description: cmd.description } }];
}

export function decideSetVersionTag(state: ModelState, cmd: SetVersionTag): ModelEvent[] {
  const v = requireLiveVersion(state, cmd.version);
  checkTag(cmd.key, cmd.value);
  if (v.tags[cmd.key] === cmd.value) return [];
  return [{ type: 'VersionTagSet', data: { version: v.version, key: cmd.key, value: cmd.value } }];
}

export function decideDeleteVersionTag(state: ModelState, cmd: DeleteVersionTag): ModelEvent[] {
  const v = requireLiveVersion(state, cmd.version);
  checkTag(cmd.key);
  if (!(cmd.key in v.tags)) throw notFound('TAG_NOT_FOUND', `version ${v.version} has no tag '${cmd.key}'`, { key: cmd.key });
  return [{ type: 'VersionTagDeleted', data: { version: v.version, key: cmd.key } }];
}

export function decideUpdateVersionDescription(state: ModelState, cmd: UpdateVersionDescription): ModelEvent[] {
  const v = requireLiveVersion(state, cmd.version);
  checkDescription(cmd.description);
  if ((v.description ?? '') === cmd.description) return [];
  return [{ type: 'VersionDescriptionUpdated', data: { version: v.version, description: cmd.description } }];
}

type LifecycleEvent = Extract<
  RecordedModelEvent,
  {
    type:
      | 'ArtifactDigestRecorded'
      | 'VersionDeleted'
      | 'ModelDeleted'
      | 'ModelTagSet'
      | 'ModelTagDeleted'
      | 'ModelDescriptionUpdated'
      | 'VersionTagSet'
      | 'VersionTagDeleted'
      | 'VersionDescriptionUpdated';
  }
>;

/**
 * State changes of the lifecycle events, applied in place to a fold's draft (its version map is
 * the draft's own; version objects and the model's tag map are replaced, never mutated).
 */
export function evolveLifecycle(next: ModelState, event: LifecycleEvent, touch: (version: string, change: (v: VersionState) => Partial<VersionState>) => void): void {
  switch (event.type) {
    case 'ArtifactDigestRecorded': {
      const d = event.data;
      touch(d.version, (v) => ({ artifact: { ...v.artifact, digest: d.digest } }));
      if (!next.digests[d.digest]) next.digests[d.digest] = d.version;
      return;
    }
    case 'VersionDeleted':
      touch(event.data.version, () => ({ deleted: { by: event.actor.sub, at: event.recordedAt } }));
      return;
    case 'ModelDeleted':
      next.deleted = { by: event.actor.sub, at: event.recordedAt };
      return;
    case 'ModelTagSet':
      next.tags = { ...next.tags, [event.data.key]: event.data.value };
      return;
    case 'ModelTagDeleted': {
      const { [event.data.key]: _gone, ...tags } = next.tags;
      next.tags = tags;
      return;
    }
    case 'ModelDescriptionUpdated':
      next.description = event.data.description;
      return;
    case 'VersionTagSet': {
      const d = event.data;
      touch(d.version, (v) => ({ tags: { ...v.tags, [d.key]: d.value } }));
      return;
    }
    case 'VersionTagDeleted': {
      const d = event.data;
      touch(d.version, (v) => {
        const { [d.key]: _gone, ...tags } = v.tags;
        return { tags };
      });
      return;
    }
    case 'VersionDescriptionUpdated': {
      const d = event.data;
      touch(d.version, () => ({ description: d.description }));
      return;
    }
  }
}
