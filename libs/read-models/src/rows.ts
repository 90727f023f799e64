import {
  MODEL_EVENT_TYPES,
  evolveModelHeader,
  evolveVersion,
  initialModelState,
  type ModelHeader,
  modelNameOfStream,
  toModelEvent,
  type EventDataMap,
  type ModelEventType,
  type VersionState,
} from '#domain';
import type { RecordedEvent } from '#event-store';

/**
 * Read-model rows and the pure functions that evolve them, one event at a time. The projector
 * (projector.ts) loads rows, calls these, and writes the result with its checkpoint.
 */
export interface ModelRow {
  name: string;
  description?: string;
  owners: string[];
  tags: Record<string, string>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  versionCount: number;
  /** Tombstone (MLflow delete): hidden from MLflow listings, kept here for the audit trail. */
  deleted?: { by: string; at: string };
  position: number;
}

/** A version as the domain describes it, minus the aggregate's bookkeeping, plus where it sits. */
export interface VersionRow extends Omit<VersionState, 'servedInProduction' | 'revision'> {
  name: string;
  registeredPosition: number;
  /** Position of the last event that changed this version. */
  position: number;
}

export interface AliasRow {
  name: string;
  alias: string;
  version: string;
  setBy: string;
  setAt: string;
  position: number;
}

export interface QueueRow {
  name: string;
  version: string;
  registeredBy: string;
  registeredAt: string;
  approvals: number;
  approvers: string[];
  position: number;
}

export interface AuditRow {
  position: number;
  eventId: string;
  stream: string;
  model: string | null;
  version: string | null;
  type: string;
  actor: string;
  reason: string | null;
  correlationId: string;
  recordedAt: string;
}

export function modelOf(e: RecordedEvent): string | null {
  return modelNameOfStream(e.stream);
}
export function versionOf(e: RecordedEvent): string | null {
  const d = e.data as { version?: unknown; toVersion?: unknown };
  if (typeof d?.version === 'string') return d.version;
  if (typeof d?.toVersion === 'string') return d.toVersion;
  return null;
}

function data<K extends ModelEventType>(e: RecordedEvent, _type: K): EventDataMap[K] {
  return e.data as EventDataMap[K];
}

/**
 * A model row in the shape the domain evolves: decoded from the row once per batch, encoded back
 * once at the end of it (rows.ts's mapping per event was most of a projection's own CPU time).
 */
export interface ModelWork {
  header: ModelHeader;
  /** Position of the last event that changed the model. */
  position: number;
}

const isModelEvent = (e: RecordedEvent): boolean => (MODEL_EVENT_TYPES as readonly string[]).includes(e.type);

/** The model after one event of its stream (the domain's `evolveModelHeader`); the same object when the event does not change it. */
export function evolveModelWork(work: ModelWork | undefined, e: RecordedEvent): ModelWork | undefined {
  const model = modelOf(e);
  if (!model || !isModelEvent(e)) return work;
  if (!work && e.type !== 'ModelCreated') return work;
  const before: ModelHeader = work?.header ?? { ...initialModelState(model), registeredCount: 0 };
  const after = evolveModelHeader(before, toModelEvent(e));
  return after.exists ? { header: after, position: e.position } : work;
}

export const modelCodec = {
  decode: (row: ModelRow): ModelWork => ({ header: modelHeaderOf(row), position: row.position }),
  encode: (work: ModelWork): ModelRow => modelRowOf(work.header, work.position),
};

/** A model row: the domain's model-level evolve (`evolveModelHeader`) builds it, this maps it. */
export function evolveModelRow(row: ModelRow | undefined, e: RecordedEvent): ModelRow | undefined {
  const before = row && modelCodec.decode(row);
  const after = evolveModelWork(before, e);
  return after === before ? row : modelCodec.encode(after!);
}

/** The row keeps no revision (the aggregate's bookkeeping). */
function modelHeaderOf({ versionCount, position: _position, ...m }: ModelRow): ModelHeader {
  return { ...m, exists: true, registeredCount: versionCount, revision: -1 };
}

function modelRowOf(m: ModelHeader, position: number): ModelRow {
  return {
    name: m.name,
    ...(m.description !== undefined ? { description: m.description } : {}),
    owners: m.owners,
    tags: m.tags,
    createdBy: m.createdBy!,
    createdAt: m.createdAt!,
    updatedAt: m.updatedAt!,
    versionCount: m.registeredCount ?? 0,
    ...(m.deleted ? { deleted: m.deleted } : {}),
    position,
  };
}

/** A version row in the shape the domain evolves (decoded once per batch, encoded once at its end). */
export interface VersionWork {
  name: string;
  state: VersionState;
  registeredPosition: number;
  /** Position of the last event that changed this version. */
  position: number;
}

/**
 * One version after one event of its model's stream (the domain's `evolveVersion`); the same
 * object when the event does not change it. `ordinal`: the version's place in registration
 * order, for events written before mlflowVersion was stored.
 */
export function evolveVersionWork(work: VersionWork | undefined, e: RecordedEvent, ordinal = 0): VersionWork | undefined {
  const model = modelOf(e);
  if (!model || !isModelEvent(e)) return work;
  const after = evolveVersion(work?.state, toModelEvent(e), ordinal);
  if (!after || after === work?.state) return work;
  return { name: model, state: withoutUndefined(after), registeredPosition: work?.registeredPosition ?? e.position, position: e.position };
}

/**
 * A row read back from its JSON has no key for an undefined field, so a field set later (a
 * description) lands at the end of the object. Dropping undefined fields as soon as they appear
 * makes a row kept in memory for a batch evolve to the same text, whatever the batch boundaries.
 */
function withoutUndefined<T extends object>(value: T): T {
  // for…in over a plain object: a tenth of Object.entries' cost, and this runs for every changed version.
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    if (fields[key] !== undefined) continue;
    const out: Record<string, unknown> = {};
    for (const k in fields) if (fields[k] !== undefined) out[k] = fields[k];
    return out as T;
  }
  return value;
}

export const versionCodec = {
  decode: (row: VersionRow): VersionWork => ({ name: row.name, state: versionStateOf(row), registeredPosition: row.registeredPosition, position: row.position }),
  encode: (work: VersionWork): VersionRow => versionRowOf(work.name, work.state, work),
};

/**
 * A version row: the domain's per-version evolve (`evolveVersion`) builds the state, this only
 * maps it to the row. `ordinal`: the version's place in registration order, for events written
 * before mlflowVersion was stored.
 */
export function evolveVersionRow(row: VersionRow | undefined, e: RecordedEvent, ordinal?: number): VersionRow | undefined {
  const before = row && versionCodec.decode(row);
  const after = evolveVersionWork(before, e, ordinal);
  return after === before ? row : versionCodec.encode(after!);
}

/** The row keeps neither the aggregate's bookkeeping (revision) nor servedInProduction, which evolve only ever sets. */
function versionStateOf({ name: _name, registeredPosition: _registered, position: _position, ...v }: VersionRow): VersionState {
  return { ...v, servedInProduction: false, revision: -1 };
}

function versionRowOf(model: string, v: VersionState, where: { registeredPosition: number; position: number }): VersionRow {
  const { servedInProduction: _served, revision: _revision, ...rest } = v;
  return { name: model, ...rest, registeredPosition: where.registeredPosition, position: where.position };
}

/** The approval queue holds a version from registration until its approval is decided or it is archived. */
export function evolveQueueRow(row: QueueRow | undefined, e: RecordedEvent): QueueRow | null | undefined {
  const model = modelOf(e);
  switch (e.type) {
    case 'VersionRegistered':
      return model
        ? {
            name: model,
            version: data(e, 'VersionRegistered').version,
            registeredBy: e.metadata.actor.sub,
            registeredAt: e.recordedAt,
            approvals: 0,
            approvers: [],
            position: e.position,
          }
        : undefined;
    case 'ApprovalRecorded':
      return row ? { ...row, approvals: row.approvals + 1, approvers: [...row.approvers, e.metadata.actor.sub], position: e.position } : row;
    case 'VersionApproved':
    case 'VersionRejected':
    case 'VersionArchived':
    case 'VersionDeleted':
      return row ? null : row;
    default:
      return row;
  }
}

export function aliasChange(e: RecordedEvent): { alias: string; row: AliasRow | null } | undefined {
  const model = modelOf(e);
  if (!model) return undefined;
  if (e.type === 'AliasSet') {
    const d = data(e, 'AliasSet');
    return { alias: d.alias, row: { name: model, alias: d.alias, version: d.version, setBy: e.metadata.actor.sub, setAt: e.recordedAt, position: e.position } };
  }
  if (e.type === 'AliasRemoved') return { alias: data(e, 'AliasRemoved').alias, row: null };
  return undefined;
}

export function auditRow(e: RecordedEvent): AuditRow {
  return {
    position: e.position,
    eventId: e.id,
    stream: e.stream,
    model: modelOf(e),
    version: versionOf(e),
    type: e.type,
    actor: e.metadata.actor.sub,
    reason: e.metadata.reason ?? null,
    correlationId: e.metadata.correlationId,
    recordedAt: e.recordedAt,
  };
}
