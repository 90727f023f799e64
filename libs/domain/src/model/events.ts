import type { SemverDecision } from '../semver-rules.js';
import type { ApprovalEventDataMap } from '../approvals/events.js';
import type { Actor, Artifact, ArtifactInspection, Lineage, Signature, Stage } from './types.js';

/** Payload schema version of every event type; bump with an upcaster when a payload changes shape. */
export const EVENT_SCHEMA_VERSION = 1;

export interface EventDataMap {
  ModelCreated: { name: string; description?: string; owners: string[]; tags: Record<string, string> };
  VersionRegistered: {
    version: string;
    artifact: Artifact;
    signature?: Signature;
    /** What the registrant's inspector found in the artifact's bytes (absent: never inspected). */
    inspection?: ArtifactInspection;
    metrics: Record<string, number>;
    params: Record<string, string | number | boolean>;
    lineage: Lineage;
    tags: Record<string, string>;
    description?: string;
    duplicateOf?: string;
    modelCard?: string;
    modelCardUri?: string;
    /** How the version number relates to the previous one (semver rules), and whether the server chose it. */
    semver?: SemverDecision;
    /** MLflow's number for the version (registration order); derived for events written before it was stored. */
    mlflowVersion?: number;
  };
  GatePassed: { version: string; gate: string; metrics?: Record<string, number>; evidenceUri?: string; policy?: string };
  GateFailed: { version: string; gate: string; metrics?: Record<string, number>; evidenceUri?: string; policy?: string };
  VersionApproved: { version: string; comment?: string; approvals: number; required: number };
  /** An approval that does not complete the required count yet (N-of-M). */
  ApprovalRecorded: { version: string; comment?: string; approvals: number; required: number };
  VersionRejected: { version: string; comment?: string };
  VersionPromoted: { version: string; from: Stage; to: 'Production'; policy?: string };
  StageChanged: { version: string; from: Stage; to: Stage };
  VersionArchived: { version: string; from: Stage; supersededBy?: string };
  AliasSet: { alias: string; version: string; previousVersion?: string };
  AliasRemoved: { alias: string; version: string };
  RolledBack: { fromVersion?: string; toVersion: string };
  /** The digest of a version registered without one; recorded at most once. */
  ArtifactDigestRecorded: { version: string; digest: string };
  /** Tombstones: the ledger forgets nothing, these only hide the version/model from listings and resolution. */
  VersionDeleted: { version: string; mlflowVersion?: number };
  ModelDeleted: { name: string };
  ModelTagSet: { key: string; value: string };
  ModelTagDeleted: { key: string };
  ModelDescriptionUpdated: { description: string };
  VersionTagSet: { version: string; key: string; value: string };
  VersionTagDeleted: { version: string; key: string };
  VersionDescriptionUpdated: { version: string; description: string };
}
export type ModelEventType = keyof EventDataMap;
/** Every event type the domain decides: the model's own, and approval requests, links and notifications (their own streams). */
export type DomainEventDataMap = EventDataMap & ApprovalEventDataMap;
export type ModelEvent = { [K in ModelEventType]: { type: K; data: EventDataMap[K] } }[ModelEventType];

/** What evolve needs from a stored event besides its payload. */
export interface EventFacts {
  recordedAt: string;
  actor: Actor;
  revision: number;
}
export type RecordedModelEvent = ModelEvent & EventFacts;

export const MODEL_EVENT_TYPES: readonly ModelEventType[] = [
  'ModelCreated',
  'VersionRegistered',
  'GatePassed',
  'GateFailed',
  'VersionApproved',
  'ApprovalRecorded',
  'VersionRejected',
  'VersionPromoted',
  'StageChanged',
  'VersionArchived',
  'AliasSet',
  'AliasRemoved',
  'RolledBack',
  'ArtifactDigestRecorded',
  'VersionDeleted',
  'ModelDeleted',
  'ModelTagSet',
  'ModelTagDeleted',
  'ModelDescriptionUpdated',
  'VersionTagSet',
  'VersionTagDeleted',
  'VersionDescriptionUpdated',
];

export function modelStreamName(name: string): string {
  return `model-${name}`;
}
