import { modelNameOfStream, type Artifact, type EventDataMap, type Lineage, type ModelEventType } from '#domain';
import type { RecordedEvent } from '#event-store';

export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';
const TYPE_PREFIX = 'dev.model-ledger';

/** CloudEvents type per event type; the `.v1` suffix is the payload schema version. */
export const CLOUDEVENT_TYPES: Record<ModelEventType, string> = {
  ModelCreated: `${TYPE_PREFIX}.model.created.v1`,
  VersionRegistered: `${TYPE_PREFIX}.version.registered.v1`,
  GatePassed: `${TYPE_PREFIX}.version.gate-passed.v1`,
  GateFailed: `${TYPE_PREFIX}.version.gate-failed.v1`,
  ApprovalRecorded: `${TYPE_PREFIX}.version.approval-recorded.v1`,
  VersionApproved: `${TYPE_PREFIX}.version.approved.v1`,
  VersionRejected: `${TYPE_PREFIX}.version.rejected.v1`,
  VersionPromoted: `${TYPE_PREFIX}.version.promoted.v1`,
  StageChanged: `${TYPE_PREFIX}.version.stage-changed.v1`,
  VersionArchived: `${TYPE_PREFIX}.version.archived.v1`,
  AliasSet: `${TYPE_PREFIX}.alias.set.v1`,
  AliasRemoved: `${TYPE_PREFIX}.alias.removed.v1`,
  RolledBack: `${TYPE_PREFIX}.version.rolled-back.v1`,
  ArtifactDigestRecorded: `${TYPE_PREFIX}.version.digest-recorded.v1`,
  VersionDeleted: `${TYPE_PREFIX}.version.deleted.v1`,
  ModelDeleted: `${TYPE_PREFIX}.model.deleted.v1`,
  ModelTagSet: `${TYPE_PREFIX}.model.tag-set.v1`,
  ModelTagDeleted: `${TYPE_PREFIX}.model.tag-deleted.v1`,
  ModelDescriptionUpdated: `${TYPE_PREFIX}.model.description-updated.v1`,
  VersionTagSet: `${TYPE_PREFIX}.version.tag-set.v1`,
  VersionTagDeleted: `${TYPE_PREFIX}.version.tag-deleted.v1`,
  VersionDescriptionUpdated: `${TYPE_PREFIX}.version.description-updated.v1`,
};

/** What a serving fleet must react to: these also go to the promotions topic. */
export const PROMOTION_EVENT_TYPES: ReadonlySet<string> = new Set(['VersionPromoted', 'VersionArchived', 'AliasSet', 'AliasRemoved', 'RolledBack']);

export function cloudEventType(e: Pick<RecordedEvent, 'type' | 'schemaVersion'>): string {
  const known = CLOUDEVENT_TYPES[e.type as ModelEventType];
  if (known) return known;
  const kebab = e.type.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  return `${TYPE_PREFIX}.${kebab}.v${e.schemaVersion}`;
}

export interface VersionFacts {
  artifact: Pick<Artifact, 'uri' | 'digest'> & Partial<Artifact>;
  image?: Lineage['image'];
}

export interface CloudEventData {
  model: string;
  version?: string;
  /** Stage of `version` after this event, when the event sets it. */
  stage?: string;
  fromStage?: string;
  alias?: string;
  previousVersion?: string;
  fromVersion?: string;
  /** `digest` is absent for a version registered through the MLflow API without one (until recorded). */
  artifact?: { uri: string; digest?: string; format?: string; sizeBytes?: number };
  imageDigest?: string;
  imageRef?: string;
  actor: string;
  reason?: string;
  correlationId: string;
  position: number;
  revision: number;
  /** The event's own payload, unchanged (e.g. gate metrics, approval counts). */
  payload: unknown;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** W3C trace context of the request that caused the event (CloudEvents distributed-tracing extension). */
  traceparent?: string;
  data: CloudEventData;
}

export function modelOfStream(stream: string): string {
  return modelNameOfStream(stream) ?? stream;
}

/** The version an event is about (rollbacks: the version brought back). */
export function versionOfEvent(e: RecordedEvent): string | undefined {
  const d = e.data as { version?: unknown; toVersion?: unknown };
  if (typeof d?.version === 'string') return d.version;
  if (typeof d?.toVersion === 'string') return d.toVersion;
  return undefined;
}

function stageChange(e: RecordedEvent): { stage?: string; fromStage?: string } {
  switch (e.type) {
    case 'VersionPromoted': {
      const d = e.data as EventDataMap['VersionPromoted'];
      return { stage: 'Production', fromStage: d.from };
    }
    case 'StageChanged': {
      const d = e.data as EventDataMap['StageChanged'];
      return { stage: d.to, fromStage: d.from };
    }
    case 'VersionArchived': {
      const d = e.data as EventDataMap['VersionArchived'];
      return { stage: 'Archived', fromStage: d.from };
    }
    case 'VersionRegistered':
      return { stage: 'None' };
    case 'RolledBack':
      return { stage: 'Production' };
    default:
      return {};
  }
}

/** Maps a stored event to a CloudEvents 1.0 event; `facts` is the artifact of the event's version. */
export function toCloudEvent(e: RecordedEvent, facts?: VersionFacts): CloudEvent {
  const model = modelOfStream(e.stream);
  const version = versionOfEvent(e);
  const d = (e.data ?? {}) as { alias?: unknown; previousVersion?: unknown; fromVersion?: unknown };
  const artifact = facts?.artifact;
  const data: CloudEventData = {
    model,
    ...(version ? { version } : {}),
    ...stageChange(e),
    ...(typeof d.alias === 'string' ? { alias: d.alias } : {}),
    ...(typeof d.previousVersion === 'string' ? { previousVersion: d.previousVersion } : {}),
    ...(typeof d.fromVersion === 'string' ? { fromVersion: d.fromVersion } : {}),
    ...(artifact
      ? {
          artifact: {
            uri: artifact.uri,
            ...(artifact.digest ? { digest: artifact.digest } : {}),
            ...(artifact.format ? { format: artifact.format } : {}),
            ...(artifact.sizeBytes !== undefined ? { sizeBytes: artifact.sizeBytes } : {}),
          },
        }
      : {}),
    ...(facts?.image?.digest ? { imageDigest: facts.image.digest } : {}),
    ...(facts?.image?.ref ? { imageRef: facts.image.ref } : {}),
    actor: e.metadata.actor.sub,
    ...(e.metadata.reason ? { reason: e.metadata.reason } : {}),
    correlationId: e.metadata.correlationId,
    position: e.position,
    revision: e.revision,
    payload: e.data,
  };
  return {
    specversion: '1.0',
    id: e.id,
    source: `/model-ledger/models/${model}`,
    type: cloudEventType(e),
    subject: version ? `${model}/${version}` : model,
    time: e.recordedAt,
    datacontenttype: 'application/json',
    ...(e.metadata.traceparent ? { traceparent: e.metadata.traceparent } : {}),
    data,
  };
}
