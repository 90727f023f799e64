import type { Artifact, ArtifactInspection, Lineage, Signature } from './types.js';

export interface CreateModel {
  type: 'CreateModel';
  name: string;
  description?: string;
  owners?: string[];
  tags?: Record<string, string>;
}
export interface RegisterVersion {
  type: 'RegisterVersion';
  /** Omitted: the server assigns the next version from the semver rules. */
  version?: string;
  /** `fix` allows a PATCH bump for a new artifact; otherwise a retrain needs at least MINOR. */
  changeKind?: 'fix' | 'retrain';
  modelCard?: string;
  modelCardUri?: string;
  artifact: Artifact;
  signature?: Signature;
  inspection?: ArtifactInspection;
  metrics?: Record<string, number>;
  params?: Record<string, string | number | boolean>;
  lineage?: Lineage;
  tags?: Record<string, string>;
  description?: string;
  /** Register even though another version already has this artifact digest (recorded as duplicateOf). */
  allowDuplicateArtifact?: boolean;
  /** The MLflow path may register without a digest or format; the native API always sends both. */
  allowMissingDigest?: boolean;
}
/** Records the digest of a version registered without one (once; a second, different value is refused). */
export interface RecordArtifactDigest {
  type: 'RecordArtifactDigest';
  version: string;
  digest: string;
}
export interface DeleteVersion {
  type: 'DeleteVersion';
  version: string;
}
export interface DeleteModel {
  type: 'DeleteModel';
}
export interface SetModelTag {
  type: 'SetModelTag';
  key: string;
  value: string;
}
export interface DeleteModelTag {
  type: 'DeleteModelTag';
  key: string;
}
export interface UpdateModelDescription {
  type: 'UpdateModelDescription';
  description: string;
}
export interface SetVersionTag {
  type: 'SetVersionTag';
  version: string;
  key: string;
  value: string;
}
export interface DeleteVersionTag {
  type: 'DeleteVersionTag';
  version: string;
  key: string;
}
export interface UpdateVersionDescription {
  type: 'UpdateVersionDescription';
  version: string;
  description: string;
}
export interface RecordGateResult {
  type: 'RecordGateResult';
  version: string;
  gate: string;
  status: 'passed' | 'failed';
  metrics?: Record<string, number>;
  evidenceUri?: string;
}
export interface DecideApproval {
  type: 'DecideApproval';
  version: string;
  decision: 'approve' | 'reject';
  comment?: string;
}
export interface TransitionStage {
  type: 'TransitionStage';
  version: string;
  stage: 'Staging' | 'Production' | 'Archived';
  archiveExisting?: boolean;
}
export interface SetAlias {
  type: 'SetAlias';
  alias: string;
  version: string;
}
export interface RemoveAlias {
  type: 'RemoveAlias';
  alias: string;
}
export interface Rollback {
  type: 'Rollback';
  toVersion: string;
}

export type ModelCommand =
  | CreateModel
  | RegisterVersion
  | RecordGateResult
  | DecideApproval
  | TransitionStage
  | SetAlias
  | RemoveAlias
  | Rollback
  | RecordArtifactDigest
  | DeleteVersion
  | DeleteModel
  | SetModelTag
  | DeleteModelTag
  | UpdateModelDescription
  | SetVersionTag
  | DeleteVersionTag
  | UpdateVersionDescription;
