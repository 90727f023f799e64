import { APPROVAL_STATUSES, ARTIFACT_FORMATS, STAGES } from '#domain';

/**
 * Response schemas (OpenAPI 3.0) for the documented 2xx bodies, by component name. Free-form parts
 * (signatures, replayed state, event data) are objects without a fixed shape; everything a client
 * branches on is typed. Referenced from controllers with the decorators in openapi.ts.
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const nstr: Schema = { type: 'string', nullable: true };
const int: Schema = { type: 'integer' };
const time: Schema = { type: 'string', format: 'date-time' };
const obj: Schema = { type: 'object', additionalProperties: true };
const nobj: Schema = { type: 'object', additionalProperties: true, nullable: true };
const strings: Schema = { type: 'array', items: str };
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const page = (item: string): Schema => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { ...nstr, description: 'Pass as ?cursor= for the next page; null on the last page' } },
});

export const RESPONSE_SCHEMAS: Record<string, Schema> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; `code` is stable, `errors` name each field and rule',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', format: 'uri' },
      title: str,
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: str,
      code: { type: 'string', pattern: '^[A-Z0-9_]+$' },
      instance: str,
      next: { type: 'string', description: 'What to do next' },
      errors: {
        type: 'array',
        items: { type: 'object', required: ['rule', 'message'], properties: { field: str, rule: str, message: str }, additionalProperties: true },
      },
    },
    additionalProperties: true,
  },
  Model: {
    type: 'object',
    required: ['name', 'description', 'owners', 'tags', 'createdBy', 'createdAt', 'updatedAt', 'versionCount', 'aliases', 'latestVersions', 'position'],
    properties: {
      name: str,
      description: nstr,
      owners: strings,
      tags: { type: 'object', additionalProperties: str },
      createdBy: str,
      createdAt: time,
      updatedAt: time,
      versionCount: int,
      aliases: { type: 'object', additionalProperties: str, description: 'alias → version' },
      latestVersions: { type: 'object', additionalProperties: str, description: 'stage → latest version in it' },
      position: int,
    },
  },
  ModelSummary: {
    type: 'object',
    required: ['name', 'owners', 'tags', 'createdBy', 'createdAt', 'updatedAt', 'versionCount', 'position'],
    properties: { name: str, description: str, owners: strings, tags: { type: 'object', additionalProperties: str }, createdBy: str, createdAt: time, updatedAt: time, versionCount: int, position: int },
  },
  ModelPage: page('ModelSummary'),
  GateResult: {
    type: 'object',
    required: ['gate', 'status'],
    properties: { gate: str, status: { type: 'string', enum: ['passed', 'failed'] }, metrics: { type: 'object', additionalProperties: { type: 'number' } }, evidenceUri: str, policy: str, recordedBy: str, recordedAt: time },
  },
  Version: {
    type: 'object',
    required: ['name', 'version', 'stage', 'approvalStatus', 'aliases', 'artifact', 'registeredBy', 'registeredAt', 'gates', 'approvals', 'position'],
    properties: {
      name: str,
      version: str,
      stage: { type: 'string', enum: [...STAGES] },
      approvalStatus: { type: 'string', enum: [...APPROVAL_STATUSES] },
      aliases: strings,
      artifact: {
        type: 'object',
        required: ['uri', 'digest', 'format'],
        properties: { uri: str, digest: str, format: { type: 'string', enum: [...ARTIFACT_FORMATS] }, sizeBytes: int },
      },
      signature: nobj,
      metrics: { type: 'object', additionalProperties: { type: 'number' } },
      params: obj,
      lineage: obj,
      tags: { type: 'object', additionalProperties: str },
      description: nstr,
      registeredBy: str,
      registeredAt: time,
      gates: { type: 'object', additionalProperties: ref('GateResult') },
      approvals: { type: 'array', items: { type: 'object', required: ['sub', 'at'], properties: { sub: str, at: time, comment: str } } },
      rejection: nobj,
      duplicateOf: nstr,
      modelCard: nstr,
      modelCardUri: nstr,
      stageChangedAt: time,
      position: int,
    },
  },
  VersionPage: page('Version'),
  AliasRemoved: {
    type: 'object',
    required: ['name', 'alias', 'removed', 'position'],
    properties: { name: str, alias: str, removed: { type: 'boolean' }, position: int },
  },
  QueueItem: {
    type: 'object',
    required: ['name', 'version', 'registeredBy', 'registeredAt', 'approvals', 'approvers', 'position'],
    properties: { name: str, version: str, registeredBy: str, registeredAt: time, approvals: int, approvers: strings, position: int, status: str },
  },
  QueuePage: page('QueueItem'),
  Readiness: {
    type: 'object',
    required: ['name', 'version', 'stage', 'approvalStatus', 'target', 'ready', 'requirements'],
    properties: {
      name: str,
      version: str,
      stage: str,
      approvalStatus: str,
      target: str,
      policy: str,
      ready: { type: 'boolean' },
      unmet: int,
      blockers: { type: 'array', items: str },
      requirements: { type: 'array', items: { type: 'object', required: ['code', 'met'], properties: { code: str, message: str, met: { type: 'boolean' } }, additionalProperties: true } },
      revision: int,
    },
  },
  ApprovalLinks: { type: 'object', additionalProperties: true, description: 'Who was asked to approve, and how' },
  ServerSentEvent: {
    type: 'object',
    description: 'One SSE event: id = global position, event = CloudEvents type, data = the CloudEvent as JSON',
    properties: { id: str, event: str, data: str, retry: int },
  },
  HealthLive: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
  HealthReady: {
    type: 'object',
    required: ['status', 'checks'],
    properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, checks: { type: 'object', additionalProperties: obj } },
  },
  AuditVerify: {
    type: 'object',
    required: ['ok'],
    properties: { ok: { type: 'boolean' }, from: int, verified: int, lastVerifiedPosition: int, checkpointsVerified: int, lastVerifiedHash: nstr, head: int, checkedAt: time },
    additionalProperties: true,
  },
  Jwks: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: { type: 'object', required: ['kty'], properties: { kty: str, kid: str, crv: str, x: str, alg: str, use: str } } } } },
  Checkpoints: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: obj } } },
  EventSummary: {
    type: 'object',
    required: ['position', 'eventId', 'type', 'recordedAt', 'actor'],
    properties: { position: int, revision: int, eventId: str, type: str, recordedAt: time, actor: str, reason: str, correlationId: str, via: str, data: {}, hash: str },
  },
  AuditState: {
    type: 'object',
    required: ['model', 'state'],
    properties: { model: str, cut: obj, lastEventIncluded: ref('EventSummary'), eventsReplayed: int, state: obj },
    additionalProperties: true,
  },
  AuditResolve: { type: 'object', additionalProperties: true, required: ['uri'], properties: { uri: str, at: time } },
  AuditDiff: { type: 'object', additionalProperties: true, required: ['model'], properties: { model: str, from: time, to: time, events: { type: 'array', items: obj }, changes: { type: 'array', items: obj } } },
  AuditRow: {
    type: 'object',
    required: ['position', 'eventId', 'stream', 'model', 'version', 'type', 'actor', 'reason', 'correlationId', 'recordedAt'],
    properties: { position: int, eventId: str, stream: str, model: nstr, version: nstr, type: str, actor: str, reason: nstr, correlationId: str, recordedAt: time },
  },
  AuditPage: page('AuditRow'),
};
