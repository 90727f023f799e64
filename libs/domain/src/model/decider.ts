import { DomainError, conflict, forbidden, invalid, notFound } from '../errors.js';
import { hasScope, Scopes, type Scope } from '../scopes.js';
import { parseSemver } from '../semver.js';
import { judgeVersion } from '../semver-rules.js';
import type { ModelCommand, RegisterVersion, Rollback, SetAlias, TransitionStage } from './commands.js';
import type { ModelEvent, RecordedModelEvent } from './events.js';
import {
  decideDeleteModel,
  decideDeleteModelTag,
  decideDeleteVersion,
  decideDeleteVersionTag,
  decideRecordDigest,
  decideSetModelTag,
  decideSetVersionTag,
  decideUpdateModelDescription,
  decideUpdateVersionDescription,
  evolveLifecycle,
  requireLiveModel,
  requireLiveVersion,
} from './lifecycle.js';
import type { PromotionPolicy, PromotionTarget, Requirement } from './policy.js';
import { isUnsafeArtifact, promotionChecklist, unsafeArtifactError } from './artifact-safety.js';
import {
  ALIAS_PATTERN,
  PROD_ALIAS,
  initialModelState,
  productionVersion,
  type Actor,
  type ModelState,
  type Stage,
  type VersionState,
} from './types.js';

export interface DecideContext {
  actor: Actor;
  policy: PromotionPolicy;
}

/** A deleted model or version (tombstone) is not found for every command. */
const requireModel = requireLiveModel;
const requireVersion = requireLiveVersion;

function requireScope(ctx: DecideContext, scope: string, model: string, why: string): void {
  if (!hasScope(ctx.actor.scopes, scope, model)) {
    throw forbidden('MISSING_SCOPE', `${why} requires scope '${scope}'`, { requiredScope: scope });
  }
}

/**
 * The authorization table for stage transitions (docs/GOVERNANCE.md): whatever enters or leaves
 * Production changes what is served, whatever enters or leaves Archived retires a version or
 * brings one back, so those need registry:promote; None ↔ Staging is registry:write.
 */
export function transitionScope(from: Stage, to: Stage): Scope {
  const governed = (s: Stage) => s === 'Production' || s === 'Archived';
  return governed(from) || governed(to) ? Scopes.promote : Scopes.write;
}

/** @prod is always protected (it is the Production stage); the others as the policy says. */
export function isProtectedAlias(policy: PromotionPolicy, model: string, alias: string): boolean {
  return alias === PROD_ALIAS || policy.protectedAliases(model).includes(alias);
}

/** Setting, moving or deleting a protected alias needs registry:promote; any other alias registry:write. */
export function aliasScope(policy: PromotionPolicy, model: string, alias: string): Scope {
  return isProtectedAlias(policy, model, alias) ? Scopes.promote : Scopes.write;
}

/** Throws one error listing every unmet requirement, not just the first. */
function enforceChecklist(state: ModelState, version: VersionState, target: PromotionTarget, ctx: DecideContext): void {
  // Under any policy: without a recorded digest nobody can say what would be served (Staging is only evaluation).
  const serving = target.kind === 'alias' || target.stage === 'Production';
  const digest: Requirement[] = version.artifact.digest || !serving
    ? []
    : [
        {
          code: 'ARTIFACT_DIGEST_MISSING',
          message: `version ${version.version} has no artifact digest; record it first (MLflow tag model_ledger.artifact_digest)`,
          met: false,
        },
      ];
  const checklist = [...digest, ...promotionChecklist(ctx.policy, state, version, target)];
  const unmet = checklist.filter((r) => !r.met);
  if (unmet.length === 0) return;
  const where = target.kind === 'stage' ? target.stage : `alias '${target.alias}'`;
  throw new DomainError(
    'PROMOTION_REQUIREMENTS_UNMET',
    'precondition',
    `version ${version.version} cannot move to ${where}: ${unmet.map((r) => r.message).join('; ')}`,
    unmet.map((r) => ({ rule: r.code, message: r.message })),
    { unmet, policy: ctx.policy.id },
  );
}

function aliasesOf(state: ModelState, version: string): string[] {
  return Object.entries(state.aliases)
    .filter(([, v]) => v === version)
    .map(([a]) => a)
    .sort();
}

/** Events that retire `version` from service: its aliases go first, so none ever points at an archived version. */
function archiveEvents(state: ModelState, version: VersionState, supersededBy: string | undefined, keepAlias?: string): ModelEvent[] {
  const events: ModelEvent[] = aliasesOf(state, version.version)
    .filter((a) => a !== keepAlias)
    .map((alias) => ({ type: 'AliasRemoved', data: { alias, version: version.version } }));
  events.push({
    type: 'VersionArchived',
    data: { version: version.version, from: version.stage, ...(supersededBy ? { supersededBy } : {}) },
  });
  return events;
}

/** Promotion to Production: the incumbent is archived and `@prod` moves, all in the same append. */
function promoteToProduction(state: ModelState, target: VersionState, archiveExisting: boolean, policyId: string): ModelEvent[] {
  const incumbent = productionVersion(state);
  const events: ModelEvent[] = [];
  if (incumbent) {
    if (!archiveExisting) {
      throw conflict(
        'PRODUCTION_OCCUPIED',
        `version ${incumbent.version} is in Production; archive it first or send archiveExisting: true`,
        { incumbent: incumbent.version },
      );
    }
    events.push(...archiveEvents(state, incumbent, target.version, PROD_ALIAS));
  }
  events.push({ type: 'VersionPromoted', data: { version: target.version, from: target.stage, to: 'Production', policy: policyId } });
  events.push({
    type: 'AliasSet',
    data: { alias: PROD_ALIAS, version: target.version, ...(incumbent ? { previousVersion: incumbent.version } : {}) },
  });
  return events;
}

function decideRegister(state: ModelState, cmd: RegisterVersion): ModelEvent[] {
  requireModel(state);
  if (cmd.version !== undefined && !parseSemver(cmd.version)) {
    throw invalid('INVALID_VERSION', `version '${cmd.version}' is not semver MAJOR.MINOR.PATCH`, [
      { field: 'version', rule: 'semver', message: 'must be MAJOR.MINOR.PATCH, e.g. 1.4.0' },
    ]);
  }
  if (cmd.version !== undefined && state.versions[cmd.version]) {
    throw conflict('VERSION_EXISTS', `model '${state.name}' already has version ${cmd.version}; versions are immutable, register a new number`, {
      version: cmd.version,
    });
  }
  if (cmd.inspection && cmd.inspection.format !== cmd.artifact.format) {
    throw invalid('INSPECTION_FORMAT_MISMATCH', `artifact.format is '${cmd.artifact.format}' but the inspection found '${cmd.inspection.format}'`, [
      { field: 'inspection.format', rule: 'equalsArtifactFormat', message: `must equal artifact.format ('${cmd.artifact.format}')` },
    ]);
  }
  const digest = cmd.artifact.digest;
  if (digest === undefined && !cmd.allowMissingDigest) {
    throw invalid('DIGEST_REQUIRED', 'artifact.digest is required', [{ field: 'artifact.digest', rule: 'required', message: 'must be sha256:<64 hex>' }]);
  }
  const existing = digest === undefined ? undefined : state.digests[digest];
  if (existing && !cmd.allowDuplicateArtifact) {
    throw conflict(
      'DUPLICATE_ARTIFACT',
      `artifact ${cmd.artifact.digest} is already registered as version ${existing}; send allowDuplicateArtifact: true to register it again on purpose`,
      { existingVersion: existing, digest: cmd.artifact.digest },
    );
  }
  const verdict = judgeVersion({
    existing: Object.values(state.versions).map((v) => ({ version: v.version, signature: v.signature, digest: v.artifact.digest })),
    requested: cmd.version,
    signature: cmd.signature,
    digest: cmd.artifact.digest,
    changeKind: cmd.changeKind,
  });
  if (!verdict.ok) {
    throw new DomainError(
      'SEMVER_RULE_VIOLATED',
      'validation',
      verdict.reason,
      [{ field: 'version', rule: `semver-${verdict.required}`, message: verdict.reason }],
      {
        previousVersion: verdict.previous,
        requiredBump: verdict.required,
        actualBump: verdict.bump,
        schemaChanges: verdict.schemaChanges,
        next: 'Use a version with the required bump, or omit `version` to let the server assign it.',
      },
    );
  }
  const version = verdict.version;
  if (state.versions[version]) {
    throw conflict('VERSION_EXISTS', `model '${state.name}' already has version ${version}`, { version });
  }
  const mlflowVersion = registeredCount(state) + 1;
  return [
    {
      type: 'VersionRegistered',
      data: {
        version,
        artifact: cmd.artifact,
        ...(cmd.signature ? { signature: cmd.signature } : {}),
        ...(cmd.inspection ? { inspection: cmd.inspection } : {}),
        metrics: cmd.metrics ?? {},
        params: cmd.params ?? {},
        lineage: cmd.lineage ?? {},
        tags: cmd.tags ?? {},
        ...(cmd.description !== undefined ? { description: cmd.description } : {}),
        ...(existing ? { duplicateOf: existing } : {}),
        ...(cmd.modelCard !== undefined ? { modelCard: cmd.modelCard } : {}),
        ...(cmd.modelCardUri !== undefined ? { modelCardUri: cmd.modelCardUri } : {}),
        semver: verdict.decision,
        mlflowVersion,
      },
    },
  ];
}

function registeredCount(state: ModelState): number {
  return state.registeredCount ?? Object.keys(state.versions).length;
}

function decideTransition(state: ModelState, cmd: TransitionStage, ctx: DecideContext): ModelEvent[] {
  const v = requireVersion(state, cmd.version);
  // Authorization first, so a refusal never tells a caller more about the state than the scope check.
  requireScope(ctx, transitionScope(v.stage, cmd.stage), state.name, `moving version ${v.version} from ${v.stage} to ${cmd.stage}`);
  if (v.stage === cmd.stage) {
    throw conflict('ALREADY_IN_STAGE', `version ${v.version} is already in ${cmd.stage}`, { stage: v.stage });
  }
  switch (cmd.stage) {
    case 'Staging': {
      if (v.approvalStatus === 'Rejected') {
        throw conflict('VERSION_REJECTED', `version ${v.version} was rejected and cannot be staged`);
      }
      enforceChecklist(state, v, { kind: 'stage', stage: 'Staging' }, ctx);
      // Leaving Production for re-evaluation takes @prod with it.
      const events: ModelEvent[] =
        v.stage === 'Production' && state.aliases[PROD_ALIAS] === v.version
          ? [{ type: 'AliasRemoved', data: { alias: PROD_ALIAS, version: v.version } }]
          : [];
      events.push({ type: 'StageChanged', data: { version: v.version, from: v.stage, to: 'Staging' } });
      return events;
    }
    case 'Production': {
      if (v.approvalStatus === 'Rejected') {
        throw conflict('VERSION_REJECTED', `version ${v.version} was rejected and cannot be promoted`);
      }
      if (v.stage === 'Archived') {
        throw conflict(
          'ARCHIVED_VERSION_USE_ROLLBACK',
          `version ${v.version} is archived; bring it back with POST /v1/models/${state.name}/rollback`,
        );
      }
      enforceChecklist(state, v, { kind: 'stage', stage: 'Production' }, ctx);
      return promoteToProduction(state, v, cmd.archiveExisting ?? true, ctx.policy.id);
    }
    case 'Archived':
      return archiveEvents(state, v, undefined);
  }
}

function decideSetAlias(state: ModelState, cmd: SetAlias, ctx: DecideContext): ModelEvent[] {
  if (!ALIAS_PATTERN.test(cmd.alias)) {
    throw invalid('INVALID_ALIAS', `alias '${cmd.alias}' is not valid`, [
      { field: 'alias', rule: 'pattern', message: `must match ${ALIAS_PATTERN.source}` },
    ]);
  }
  requireModel(state);
  // The scope depends on the alias alone, so it is checked before the version is even looked up.
  const isProtected = isProtectedAlias(ctx.policy, state.name, cmd.alias);
  requireScope(ctx, aliasScope(ctx.policy, state.name, cmd.alias), state.name, `setting ${isProtected ? 'protected ' : ''}alias '${cmd.alias}'`);
  const v = requireVersion(state, cmd.version);
  if (state.aliases[cmd.alias] === v.version) return [];
  if (cmd.alias === PROD_ALIAS) {
    return decideTransition(state, { type: 'TransitionStage', version: v.version, stage: 'Production', archiveExisting: true }, ctx);
  }
  if (v.stage === 'Archived') {
    throw conflict('VERSION_ARCHIVED', `version ${v.version} is archived; an alias must point at a live version`);
  }
  if (isProtected) {
    if (v.approvalStatus === 'Rejected') {
      throw conflict('VERSION_REJECTED', `version ${v.version} was rejected`);
    }
    enforceChecklist(state, v, { kind: 'alias', alias: cmd.alias }, ctx);
  }
  const previous = state.aliases[cmd.alias];
  return [{ type: 'AliasSet', data: { alias: cmd.alias, version: v.version, ...(previous ? { previousVersion: previous } : {}) } }];
}

function decideRollback(state: ModelState, cmd: Rollback, ctx: DecideContext): ModelEvent[] {
  requireScope(ctx, Scopes.promote, state.name, 'rollback');
  const target = requireVersion(state, cmd.toVersion);
  const incumbent = productionVersion(state);
  if (incumbent?.version === target.version) {
    throw conflict('ALREADY_IN_PRODUCTION', `version ${target.version} is already in Production`);
  }
  if (target.approvalStatus !== 'Approved') {
    throw conflict('ROLLBACK_TARGET_NOT_APPROVED', `version ${target.version} is ${target.approvalStatus}; only an approved version can be rolled back to`);
  }
  // Cannot happen through promotion (an unsafe version never reaches Production); checked anyway.
  if (isUnsafeArtifact(target)) throw unsafeArtifactError(target, 'Production');
  if (!target.servedInProduction) {
    throw conflict(
      'ROLLBACK_TARGET_NEVER_IN_PRODUCTION',
      `version ${target.version} has never been in Production; promote it instead of rolling back to it`,
    );
  }
  const events: ModelEvent[] = [
    { type: 'RolledBack', data: { ...(incumbent ? { fromVersion: incumbent.version } : {}), toVersion: target.version } },
  ];
  if (incumbent) events.push(...archiveEvents(state, incumbent, target.version, PROD_ALIAS));
  events.push({ type: 'VersionPromoted', data: { version: target.version, from: target.stage, to: 'Production' } });
  events.push({
    type: 'AliasSet',
    data: { alias: PROD_ALIAS, version: target.version, ...(incumbent ? { previousVersion: incumbent.version } : {}) },
  });
  return events;
}

export function decide(command: ModelCommand, state: ModelState, ctx: DecideContext): ModelEvent[] {
  switch (command.type) {
    case 'CreateModel':
      if (state.deleted) {
        throw conflict('MODEL_DELETED', `model '${state.name}' was deleted; names are permanent in the ledger, choose another name`, { model: state.name });
      }
      if (state.exists) throw conflict('MODEL_EXISTS', `model '${state.name}' already exists`, { model: state.name });
      return [
        {
          type: 'ModelCreated',
          data: {
            name: command.name,
            ...(command.description !== undefined ? { description: command.description } : {}),
            owners: command.owners ?? [],
            tags: command.tags ?? {},
          },
        },
      ];
    case 'RegisterVersion':
      return decideRegister(state, command);
    case 'RecordGateResult': {
      const v = requireVersion(state, command.version);
      if (v.stage === 'Archived') throw conflict('VERSION_ARCHIVED', `version ${v.version} is archived`);
      const data = {
        version: v.version,
        gate: command.gate,
        ...(command.metrics ? { metrics: command.metrics } : {}),
        ...(command.evidenceUri ? { evidenceUri: command.evidenceUri } : {}),
        policy: ctx.policy.id,
      };
      return [command.status === 'passed' ? { type: 'GatePassed', data } : { type: 'GateFailed', data }];
    }
    case 'DecideApproval': {
      const v = requireVersion(state, command.version);
      if (v.approvalStatus === 'Rejected') {
        throw conflict('VERSION_REJECTED', `version ${v.version} was rejected by ${v.rejection?.sub}; a rejection is final`);
      }
      if (v.approvalStatus === 'Approved') {
        throw conflict('ALREADY_APPROVED', `version ${v.version} is already approved`);
      }
      if (v.stage === 'Archived') throw conflict('VERSION_ARCHIVED', `version ${v.version} is archived`);
      if (v.registeredBy === ctx.actor.sub && !ctx.policy.allowSelfApproval(state.name)) {
        throw forbidden('SELF_APPROVAL_FORBIDDEN', `${ctx.actor.sub} registered version ${v.version} and cannot also decide on it (four-eyes rule)`);
      }
      if (v.approvals.some((a) => a.sub === ctx.actor.sub)) {
        throw conflict('DUPLICATE_APPROVER', `${ctx.actor.sub} has already approved version ${v.version}; approvals must come from distinct subjects`);
      }
      const comment = command.comment !== undefined ? { comment: command.comment } : {};
      if (command.decision === 'reject') return [{ type: 'VersionRejected', data: { version: v.version, ...comment } }];
      const required = Math.max(1, ctx.policy.requiredApprovals(state.name));
      const approvals = v.approvals.length + 1;
      return [
        approvals >= required
          ? { type: 'VersionApproved', data: { version: v.version, ...comment, approvals, required } }
          : { type: 'ApprovalRecorded', data: { version: v.version, ...comment, approvals, required } },
      ];
    }
    case 'TransitionStage':
      return decideTransition(state, command, ctx);
    case 'SetAlias':
      return decideSetAlias(state, command, ctx);
    case 'RemoveAlias': {
      requireModel(state);
      const isProtected = isProtectedAlias(ctx.policy, state.name, command.alias);
      requireScope(ctx, aliasScope(ctx.policy, state.name, command.alias), state.name, `removing ${isProtected ? 'protected ' : ''}alias '${command.alias}'`);
      const current = state.aliases[command.alias];
      if (current === undefined) {
        throw notFound('ALIAS_NOT_FOUND', `model '${state.name}' has no alias '${command.alias}'`);
      }
      if (command.alias === PROD_ALIAS) {
        throw conflict(
          'PROD_ALIAS_FOLLOWS_STAGE',
          `@${PROD_ALIAS} follows the Production stage; archive version ${current} or roll back instead`,
        );
      }
      return [{ type: 'AliasRemoved', data: { alias: command.alias, version: current } }];
    }
    case 'Rollback':
      return decideRollback(state, command, ctx);
    case 'RecordArtifactDigest':
      return decideRecordDigest(state, command);
    case 'DeleteVersion':
      return decideDeleteVersion(state, command, ctx);
    case 'DeleteModel':
      return decideDeleteModel(state, ctx);
    case 'SetModelTag':
      return decideSetModelTag(state, command);
    case 'DeleteModelTag':
      return decideDeleteModelTag(state, command);
    case 'UpdateModelDescription':
      return decideUpdateModelDescription(state, command);
    case 'SetVersionTag':
      return decideSetVersionTag(state, command);
    case 'DeleteVersionTag':
      return decideDeleteVersionTag(state, command);
    case 'UpdateVersionDescription':
      return decideUpdateVersionDescription(state, command);
  }
}

/**
 * A state whose maps belong to one fold: it may be changed in place. Version objects are still
 * replaced, never mutated, so the states a fold started from (and any it returned before) never change.
 */
type Draft = ModelState;

function draftOf(state: ModelState): Draft {
  return { ...state, versions: { ...state.versions }, aliases: { ...state.aliases }, digests: { ...state.digests } };
}

/** Applies one event to a draft in place: O(size of the touched version), not O(number of versions). */
function apply(next: Draft, event: RecordedModelEvent): void {
  next.revision = event.revision;
  next.updatedAt = event.recordedAt;
  const touch = (version: string, change: (v: VersionState) => Partial<VersionState>): void => {
    const current = next.versions[version];
    if (!current) return;
    next.versions[version] = { ...current, ...change(current), revision: event.revision, updatedAt: event.recordedAt };
  };
  switch (event.type) {
    case 'ModelCreated':
      next.exists = true;
      next.description = event.data.description;
      next.owners = event.data.owners;
      next.tags = event.data.tags;
      next.createdBy = event.actor.sub;
      next.createdAt = event.recordedAt;
      return;
    case 'VersionRegistered': {
      const d = event.data;
      const ordinal = registeredCount(next) + 1;
      next.versions[d.version] = {
        version: d.version,
        stage: 'None',
        approvalStatus: 'PendingManualApproval',
        artifact: d.artifact,
        signature: d.signature,
        ...(d.inspection ? { inspection: d.inspection } : {}),
        metrics: d.metrics,
        params: d.params,
        lineage: d.lineage,
        tags: d.tags,
        description: d.description,
        duplicateOf: d.duplicateOf,
        modelCard: d.modelCard,
        modelCardUri: d.modelCardUri,
        registeredBy: event.actor.sub,
        registeredAt: event.recordedAt,
        gates: {},
        approvals: [],
        stageChangedAt: event.recordedAt,
        servedInProduction: false,
        revision: event.revision,
        mlflowVersion: d.mlflowVersion ?? ordinal,
        updatedAt: event.recordedAt,
      };
      next.registeredCount = ordinal;
      const digest = d.artifact.digest;
      if (digest !== undefined && !next.digests[digest]) next.digests[digest] = d.version;
      return;
    }
    case 'GatePassed':
    case 'GateFailed': {
      const d = event.data;
      touch(d.version, (v) => ({
        gates: {
          ...v.gates,
          [d.gate]: {
            gate: d.gate,
            status: event.type === 'GatePassed' ? 'passed' : 'failed',
            metrics: d.metrics,
            evidenceUri: d.evidenceUri,
            policy: d.policy,
            recordedBy: event.actor.sub,
            recordedAt: event.recordedAt,
          },
        },
      }));
      return;
    }
    case 'ApprovalRecorded':
    case 'VersionApproved': {
      const d = event.data;
      touch(d.version, (v) => ({
        approvals: [...v.approvals, { sub: event.actor.sub, at: event.recordedAt, ...(d.comment !== undefined ? { comment: d.comment } : {}) }],
        approvalStatus: event.type === 'VersionApproved' ? 'Approved' : v.approvalStatus,
      }));
      return;
    }
    case 'VersionRejected':
      touch(event.data.version, () => ({
        approvalStatus: 'Rejected',
        rejection: { sub: event.actor.sub, at: event.recordedAt, ...(event.data.comment !== undefined ? { comment: event.data.comment } : {}) },
      }));
      return;
    case 'VersionPromoted':
      touch(event.data.version, () => ({ stage: 'Production', stageChangedAt: event.recordedAt, servedInProduction: true }));
      return;
    case 'StageChanged':
      touch(event.data.version, () => ({ stage: event.data.to, stageChangedAt: event.recordedAt }));
      return;
    case 'VersionArchived':
      touch(event.data.version, () => ({ stage: 'Archived', stageChangedAt: event.recordedAt }));
      return;
    case 'AliasSet':
      next.aliases[event.data.alias] = event.data.version;
      return;
    case 'AliasRemoved':
      delete next.aliases[event.data.alias];
      return;
    case 'RolledBack':
      return;
    default:
      evolveLifecycle(next, event, touch);
      return;
  }
}

/** One event on a state; pure. Folding many events: use `fold`, which copies the maps once, not per event. */
export function evolve(state: ModelState, event: RecordedModelEvent): ModelState {
  return fold(state, [event]);
}

/** A model without its versions, aliases and digests: what a listing of models shows. */
export type ModelHeader = Omit<ModelState, 'versions' | 'aliases' | 'digests'>;

/**
 * The model-level evolve: a model's header after one event of its stream, by the same code as
 * the model's fold. `registeredCount` must be set (0 before the first version) for the header to
 * count versions without holding them.
 */
export function evolveModelHeader(header: ModelHeader, event: RecordedModelEvent): ModelHeader {
  const draft: Draft = { ...header, versions: {}, aliases: {}, digests: {} };
  apply(draft, event);
  const { versions: _versions, aliases: _aliases, digests: _digests, ...next } = draft;
  return next;
}

/**
 * The per-version evolve: one version's state after one event of its model's stream, by the same
 * code as the model's fold (so a read model built from it cannot drift). The same object when the
 * event does not change this version; undefined until the version is registered. `ordinal`: the
 * version's place in registration order, used when its VersionRegistered carries no mlflowVersion.
 */
export function evolveVersion(version: VersionState | undefined, event: RecordedModelEvent, ordinal: number): VersionState | undefined {
  const name = version?.version ?? (event.type === 'VersionRegistered' ? event.data.version : undefined);
  if (name === undefined) return undefined;
  // A model of this one version: apply changes nothing else that the version could see.
  const draft: Draft = { ...initialModelState(''), versions: version ? { [name]: version } : {}, registeredCount: ordinal - 1 };
  apply(draft, event);
  return draft.versions[name];
}

/**
 * Folds a stream in time linear in its length: the state's maps are copied once, then each event
 * is applied in place. `initial` is left unchanged.
 */
export function fold(initial: ModelState, events: Iterable<RecordedModelEvent>): ModelState {
  const draft = draftOf(initial);
  for (const e of events) apply(draft, e);
  return draft;
}
